import Foundation

/// The fakes a simulation runs against: storefronts that fail as the timeline says, and
/// providers that answer like the real APIs (the sandbox server on 127.0.0.1).
public protocol SimulationSandbox: Sendable {
    /// `http://127.0.0.1:PORT`: every probe and every step request goes here.
    var baseURL: String { get }
    /// Creates a healthy storefront serving `healthyBody` at `/store/<name>/…`.
    func addStorefront(_ name: String, healthyBody: String)
    /// Makes a storefront fail in a shape, or answer normally again (nil).
    func setStorefront(_ name: String, failing shape: FaultShape?)
    /// Makes every request to a provider host answer `status`, or answer normally again (nil).
    func failProvider(host: String, status: Int?)
    /// How many step requests (notices, promotions, pages) the fakes received.
    func requestCount() -> Int
}

/// How the workspace is run: as cron runs `detour tick`, or as `detour watch` does.
public enum RunsAs: Sendable, Equatable, CustomStringConvertible {
    /// A pass at each whole interval (`tick:1m`): probes wait for the next run.
    case tick(Duration)
    /// A pass whenever something is due, as the daemon does.
    case watch

    /// Reads `watch` or `tick:1m`.
    public init?(_ text: String) {
        if text == "watch" {
            self = .watch
            return
        }
        guard text.hasPrefix("tick:"), let interval = DurationText.parse(String(text.dropFirst(5))), interval >= .seconds(1),
            interval <= .seconds(86_400)
        else { return nil }
        self = .tick(interval)
    }

    /// As written on the command line.
    public var description: String {
        switch self {
        case .watch: "watch"
        case .tick(let interval): "tick:\(DurationText.format(interval))"
        }
    }
}

/// A problem with a simulation's options: what is wrong and what to write instead.
public struct SimulationOptionError: DetourError {
    /// The message.
    public var description: String

    /// Creates an error with its message.
    public init(description: String) { self.description = description }
}

/// One `--settings KEY=VALUE`: a schedule or recovery setting changed for the run, for every
/// channel or for one (`rakuten.failAfter=2`).
public struct SettingOverride: Sendable, Equatable, CustomStringConvertible {
    /// The settings a run may change.
    public static let keys = ["every", "confirmEvery", "failAfter", "recoverAfter", "settle"]

    /// The channel it applies to; nil for all.
    public var channel: String?
    /// One of `keys`.
    public var key: String
    /// The value as written.
    public var value: String

    /// Reads `KEY=VALUE` or `CHANNEL.KEY=VALUE`, checking the value.
    public init(_ text: String) throws {
        guard let equals = text.firstIndex(of: "=") else {
            throw SimulationOptionError(description: "--settings \"\(text)\" has no value; write it like failAfter=2 or rakuten.confirmEvery=5s")
        }
        var name = String(text[..<equals])
        value = String(text[text.index(after: equals)...])
        if let dot = name.lastIndex(of: ".") {
            channel = String(name[..<dot])
            name = String(name[name.index(after: dot)...])
        }
        guard let known = Self.keys.first(where: { $0.lowercased() == name.lowercased() }) else {
            let suggestion = closestMatch(to: name, in: Self.keys).map { "did you mean \($0)? " } ?? ""
            throw SimulationOptionError(description: "--settings: unknown setting \"\(name)\"; \(suggestion)write one of \(Self.keys.joined(separator: ", "))")
        }
        key = known
        _ = try apply(to: Channel.placeholder)
    }

    /// As written.
    public var description: String { (channel.map { "\($0)." } ?? "") + "\(key)=\(value)" }

    /// The channel with this setting applied.
    func apply(to channel: Channel) throws -> Channel {
        var channel = channel
        switch key {
        case "failAfter", "recoverAfter":
            guard let count = Int(value), (1...100).contains(count) else {
                throw SimulationOptionError(description: "--settings \(key)=\(value): write a whole number from 1 to 100, like \(key)=3")
            }
            if key == "failAfter" { channel.schedule.failAfter = count } else { channel.schedule.recoverAfter = count }
        default:
            guard let duration = DurationText.parse(value), duration > .zero || (key == "settle" && duration == .zero),
                duration <= .seconds(86_400)
            else {
                throw SimulationOptionError(
                    description: "--settings \(key)=\(value): write a duration up to a day, like \(key)=\(key == "settle" ? "5m" : "10s")")
            }
            switch key {
            case "every": channel.schedule.every = duration
            case "confirmEvery": channel.schedule.confirmEvery = duration
            default: channel.settle = duration
            }
        }
        return channel
    }
}

extension Channel {
    /// A channel only used to check a setting's value.
    static var placeholder: Channel {
        Channel(
            id: "placeholder", name: "placeholder", kind: .mall, url: "", probes: [],
            schedule: Schedule(every: .seconds(60), confirmEvery: .seconds(10), failAfter: 3, recoverAfter: 2), revenue: nil, alternates: [],
            location: SourceLocation(file: "", line: 0, column: 0))
    }
}
