// English messages. Keep keys sorted within each group; every key here must exist in Catalog+ja.swift
// with the same {placeholders} (CatalogTests).
extension Catalog {
    static let english: [String: String] = [
        // Words shared by every surface.
        "common.health.up": "up",
        "common.health.degraded": "degraded",
        "common.health.maintenance": "maintenance",
        "common.health.down": "down",
        "common.health.unknown": "not probed yet",
    ]
}
