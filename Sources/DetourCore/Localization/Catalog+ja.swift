// 日本語のメッセージ。キーと {placeholder} は Catalog+en.swift と同じにすること（CatalogTests が確かめる）。
extension Catalog {
    static let japanese: [String: String] = [
        // 共通の語
        "common.health.up": "正常",
        "common.health.degraded": "一部障害",
        "common.health.maintenance": "メンテナンス中",
        "common.health.down": "停止",
        "common.health.unknown": "未確認",
        // クラスタのノード（docs/cluster.md）
        "cluster.dissent": "{channel}: 他のノードの判定がこのノードと異なります: {summary}",
        "cluster.role.following": "{node} は {leader} に従っています",
        "cluster.role.leading": "{node} がクラスタのリーダーです（フェンシングトークン {token}）",
        "cluster.role.notActing": "動作を停止中: {time} から etcd のクォーラムに接続できません",
        "cluster.status.following": "クラスタ: このノード（{node}）は {leader} に従っています",
        "cluster.status.leading": "クラスタ: このノード（{node}）がリーダーです",
        "cluster.watching": "{node}: クラスタのノードとして {channels} チャネルを監視しています。状態は {state} にあります",
    ]
}
