/// Where the engine's records go before its local journal: the cluster's shared log, fenced by leadership.
///
/// A single node has none: the local journal is the whole truth. In a cluster the engine commits
/// each record here first and appends it locally only once it is committed, so a node that is no
/// longer the leader (or has lost etcd) can neither write nor, since `step.started` must commit
/// before its request goes out, send.
public protocol JournalSink: Sendable {
    /// Commits one record; throws when this node may not write (deposed, or no etcd quorum).
    func commit(_ record: JournalRecord) async throws
    /// Throws unless this node still holds its leadership now, just before a side effect.
    func confirmActing() async throws
}
