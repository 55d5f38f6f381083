// 日本語のメッセージ。キーと {placeholder} は Catalog+en.swift と同じにすること（CatalogTests が確かめる）。
extension Catalog {
    static let japanese: [String: String] = [
        // 共通の語
        "common.health.up": "正常",
        "common.health.degraded": "一部障害",
        "common.health.maintenance": "メンテナンス中",
        "common.health.down": "停止",
        "common.health.unknown": "未確認",
    ]
}
