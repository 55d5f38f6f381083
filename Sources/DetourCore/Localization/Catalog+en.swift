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
        // A node of a cluster (docs/cluster.md).
        "cluster.dissent": "{channel}: the nodes disagree with this one: {summary}",
        "cluster.role.following": "{node} follows {leader}",
        "cluster.role.leading": "{node} leads the cluster (fencing token {token})",
        "cluster.role.notActing": "not acting: no etcd quorum since {time}",
        "cluster.status.following": "cluster: this node ({node}) follows {leader}",
        "cluster.status.leading": "cluster: this node ({node}) leads",
        "cluster.watching": "{node}: watching {channels} channels as a cluster node; state in {state}",
    ]
}
