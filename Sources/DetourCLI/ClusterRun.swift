import DetourCore
import Foundation

/// A node of a cluster, run by `watch` (as a daemon) or `tick` (one pass): membership, quorum, the shared journal.
struct ClusterRun {
    private(set) var session: WorkspaceSession
    let settings: ClusterSettings
    let http: HTTPClient
    let member: ClusterMember
    let l10n: Localizer

    /// Connects to etcd with the workspace's `cluster` settings; nil (after saying why) when a credential cannot be read.
    init?(session: WorkspaceSession, settings: ClusterSettings, http: HTTPClient) {
        let context = session.context
        var password: String?
        if let reference = settings.password {
            do {
                password = try session.secrets.resolve(reference)
            } catch {
                context.console.err("error: cluster.etcd.password in detour.json5: \(error.message)")
                return nil
            }
        }
        self.session = session
        self.settings = settings
        self.http = http
        let l10n = Localizer(Language.of(environment: context.environment))
        self.l10n = l10n
        let etcd = EtcdClient(endpoints: settings.endpoints, http: http, user: settings.user, password: password, caFile: settings.caFile)
        let zone = session.workspace.settings.timeZone
        let console = context.console
        let clock: any WallClock = (try? session.clock()) ?? SystemClock()
        let node = ClusterNode(settings: settings, etcd: etcd, now: clock.now())
        member = ClusterMember(node: node, stateDirectory: session.stateDirectory, clock: clock) { event in
            switch event {
            case .role(.leading(let token)):
                console.out(l10n.text("cluster.role.leading", ["node": settings.node, "token": String(token)]))
            case .role(.following(let leader)):
                console.out(l10n.text("cluster.role.following", ["node": settings.node, "leader": leader ?? "-"]))
            case .role(.notActing(let since)):
                console.out(l10n.text("cluster.role.notActing", ["time": LocalTime.clock(since, in: zone)]))
            case .dissent(let outcome):
                console.out(l10n.text("cluster.dissent", ["channel": outcome.channel, "summary": outcome.summary]))
            case .command(let command, let outcome):
                console.out("\(command.kind.rawValue) \(command.target) (\(command.by) on \(command.node)): \(outcome.message)")
            case .compacted(let snapshot):
                console.out(
                    l10n.text(
                        "cluster.compacted", ["through": String(snapshot.compactedThrough), "seq": String(snapshot.seq), "bytes": String(snapshot.bytes)]))
            case .startedFromSnapshot(let snapshot, let previous):
                console.out(
                    l10n.text(
                        "cluster.snapshot.started",
                        [
                            "node": settings.node, "from": String(previous + 1), "through": String(snapshot.compactedThrough), "seq": String(snapshot.seq),
                            "leader": snapshot.node,
                        ]))
            }
        }
    }

    /// Builds an engine that commits to the shared journal.
    func engine(observer: @escaping @Sendable (EngineEvent) -> Void) throws -> Engine {
        try session.engine(http: http, observer: observer)
    }

    /// One pass; errors that only mean "not acting now" are said once by the role line, others are printed.
    func pass(_ engine: Engine) async -> PassResult {
        do {
            try await member.runPass(engine)
            return .done
        } catch let error as EtcdError where error.unavailable {
            return .failed
        } catch {
            session.context.console.err("\(settings.node): \(error.message)")
            return (error as? ClusterError)?.needsOperator == true ? .stop : .failed
        }
    }

    /// How a pass ended.
    enum PassResult {
        /// Finished.
        case done
        /// Failed for now (etcd, a deposed leader): the next pass builds the engine again.
        case failed
        /// Cannot go on until an operator acts; the message says what to do.
        case stop
    }

    /// Whether the node took its part in the cluster in a pass that ended so (not without an etcd quorum).
    func acting(after result: PassResult) async -> Bool {
        guard result == .done else { return false }
        if case .notActing = await member.currentRole { return false }
        return true
    }

    /// Keeps the lease alive between passes, every third of its life, until cancelled.
    func keepAliveTask() -> Task<Void, Never> {
        let node = member.node
        let interval = max(0.2, settings.leaseTTL.timeInterval / 3)
        return Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
                await node.keepAlive(at: Date())
            }
        }
    }
}

extension ClusterRun {
    /// The daemon: a pass whenever the node has work or its lease needs renewing, until SIGTERM or SIGINT.
    mutating func watch(printer: TimelinePrinter, outputs: PassOutputs, web: ConsoleWeb? = nil) async -> ExitCode {
        let context = session.context
        let stop = StopSignal()
        stop.install(onSignal: { context.console.out("stopping after the pass in flight") })
        // SIGHUP reloads the workspace between passes, as on a single node; the cluster setting itself stays as started.
        let reloads = ReloadSignal { stop.requestReload() }
        defer { reloads.cancel() }
        let validity = WorkspaceValidity(session.fallback?.record)
        let beats = keepAliveTask()
        defer { beats.cancel() }
        context.console.out(
            l10n.text("cluster.watching", ["node": settings.node, "channels": String(session.workspace.channels.count), "state": session.stateDirectory]))
        var engine: Engine?
        var ping = PingPace()
        while !stop.requested {
            var wake = Date().addingTimeInterval(max(0.2, settings.leaseTTL.timeInterval / 3))
            if stop.takeReload() {
                session = await WatchCommand.reload(session, into: engine, context, validity: validity)
                web?.update(session)
            }
            do {
                if let lock = try await session.lock(patience: .seconds(30)) {
                    defer { lock.release() }
                    let current =
                        try engine
                        ?? self.engine { event in
                            printer.handle(event)
                            outputs.observe(event)
                            web?.observe(event, mask: context.console.redactor.mask)
                        }
                    // After a failed pass the engine is built again from the journal: what it had decided was not committed.
                    let result = await pass(current)
                    let ok = await acting(after: result)
                    if ping.due(ok: ok, at: Date()) { await HeartbeatPing.send(session, ok: ok, console: context.console) }
                    if result == .stop { return .failure }
                    engine = result == .done ? current : nil
                    wake = await member.nextWakeUp(current)
                    if engine != nil { web?.passed(state: await current.state) }
                    if outputs.isEnabled, engine != nil { _ = outputs.write(state: await current.state, now: Date(), console: context.console) }
                }
            } catch {
                context.console.err("error: \(error.message)")
                engine = nil
            }
            try? await stop.sleep(until: wake)
        }
        return .ok
    }

    /// One pass as a member, for cron.
    func tick(printer: TimelinePrinter) async -> ExitCode {
        do {
            let engine = try self.engine { event in printer.handle(event) }
            let result = await pass(engine)
            await HeartbeatPing.send(session, ok: await acting(after: result), console: session.context.console)
            return result == .done ? .ok : .failure
        } catch {
            session.context.console.err("error: \(error.message)")
            return .failure
        }
    }
}

/// When a cluster node's daemon sends the heartbeat: it runs a pass several times a second, so the
/// ping goes out after the first pass, when the outcome changes, and otherwise every 30 seconds.
struct PingPace {
    private var last: (ok: Bool, at: Date)?

    /// Whether to ping after a pass that ended `ok` at `now`; notes the ping when it is due.
    mutating func due(ok: Bool, at now: Date) -> Bool {
        if let last, last.ok == ok, now.timeIntervalSince(last.at) < 30 { return false }
        last = (ok, now)
        return true
    }
}

extension ClusterRun {
    /// `not acting: no etcd quorum since 10:02:13`, or whom this node follows, for `detour status`.
    static func statusLine(_ local: ClusterLocalState, context: CommandContext, zone: TimeZone) -> String {
        let l10n = Localizer(Language.of(environment: context.environment))
        if local.role == "not acting" || local.noQuorumSince != nil {
            return l10n.text("cluster.role.notActing", ["time": LocalTime.clock(local.noQuorumSince ?? local.updatedAt, in: zone)])
        }
        if local.role == "leading" { return l10n.text("cluster.status.leading", ["node": local.node]) }
        return l10n.text("cluster.status.following", ["node": local.node, "leader": local.leader ?? "-"])
    }
}
