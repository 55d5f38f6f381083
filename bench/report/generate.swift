// Writes a workspace and a year of synthetic journal history for timing `detour report`.
//
// usage: generate DIR [EVENTS] [BASE_URL]   (default 100000 events; probes at https://<channel>.example)
//
// Four malls and the own site; every mall has 15–20 outages a year of 2–6 hours (health every
// minute while down, failover and recovery steps), and every channel has short blips
// (suspected → cleared) until the journal holds EVENTS lines. Deterministic (fixed seed).
// The journal is written as Detour keeps it: monthly segments in .detour/journal/, each starting
// with its schema line; each probe's result is kept once, on the line of the change it explains.
import Foundation

struct Generator {
    var seed: UInt64 = 0x5EED_D7_0042
    mutating func next() -> UInt64 {
        seed &+= 0x9E37_79B9_7F4A_7C15
        var z = seed
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: generate DIR [EVENTS] [BASE_URL]\n".utf8))
    exit(64)
}
let root = arguments[1]
let target = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
let base = arguments.count > 3 ? arguments[3] : nil
func url(_ id: String, _ path: String) -> String { base.map { "\($0)/store/\(id)/\(path)" } ?? "https://\(id).example/shop/\(path)" }
let fm = FileManager.default
try? fm.removeItem(atPath: root)
for folder in ["channels", "playbooks", ".detour"] { try fm.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true) }

let malls = [("rakuten", "楽天市場店", 120_000), ("yahoo", "Yahoo!ショッピング店", 50_000), ("amazon", "Amazon店", 80_000), ("qoo10", "Qoo10店", 20_000)]
func write(_ path: String, _ text: String) { try! text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8) }
write(
    "detour.json5",
    """
    {
      timezone: "Asia/Tokyo",
      calendar: { sales: [
        { name: "楽天スーパーSALE", from: "2025-03-04T20:00", to: "2025-03-11T02:00", channels: ["rakuten"], multiplier: 3 },
        { name: "楽天スーパーSALE", from: "2025-06-04T20:00", to: "2025-06-11T02:00", channels: ["rakuten"], multiplier: 3 },
        { name: "プライムデー", from: "2025-07-11T00:00", to: "2025-07-15T00:00", channels: ["amazon"], multiplier: 2.5 },
        { name: "ブラックフライデー", from: "2025-11-21T00:00", to: "2025-12-01T00:00", multiplier: 2 },
      ] },
    }
    """)
for (id, name, perHour) in malls {
    write(
        "channels/\(id).json5",
        """
        { name: "\(name)", kind: "mall", url: "\(url(id, ""))",
          probes: [{ name: "item page", url: "\(url(id, "item"))", expect: { status: "2xx" } }],
          revenue: { perHour: \(perHour), byHour: [0.3,0.2,0.1,0.1,0.1,0.2,0.4,0.7,0.9,1,1.1,1.2,1.3,1.1,1,1,1.1,1.2,1.4,1.6,1.8,1.7,1.3,0.7],
                     byWeekday: { sat: 1.3, sun: 1.4 }, recapture: { "own-site": 0.3 } },
          alternates: ["own-site"] }
        """)
}
write(
    "channels/own-site.json5",
    """
    { name: "公式オンラインショップ", kind: "own-site", url: "\(url("own-site", ""))",
      probes: [{ name: "top", url: "\(url("own-site", ""))" }], revenue: { perHour: 60000 }, alternates: ["rakuten"] }
    """)

let iso = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
func t(_ date: Date) -> String { date.formatted(iso) }
func health(
    _ state: String, failures: Int, successes: Int, first: Date?, down: Date?, recovering: Date?, last: Date, success: Date?, failure: String?, next: Date
) -> String {
    var fields = ["\"consecutiveFailures\":\(failures)", "\"consecutiveSuccesses\":\(successes)"]
    if let down { fields.append("\"downAt\":\"\(t(down))\"") }
    if let first { fields.append("\"firstFailureAt\":\"\(t(first))\"") }
    if let failure { fields.append("\"lastFailure\":\"\(failure)\"") }
    fields.append("\"lastProbeAt\":\"\(t(last))\"")
    if let success { fields.append("\"lastSuccessAt\":\"\(t(success))\"") }
    fields.append("\"nextDueAt\":\"\(t(next))\"")
    if let recovering { fields.append("\"recoveringAt\":\"\(t(recovering))\"") }
    fields.append("\"state\":\"\(state)\"")
    return "{" + fields.joined(separator: ",") + "}"
}

var random = Generator()
var lines: [(Date, String)] = []
let start = try! Date("2025-01-01T00:00:00+09:00", strategy: .iso8601)
let year = 365.0 * 86_400
let evidence = "item page: http: status 503, expected 2xx (120 ms)"
// What a real journal carries on each failing round: every probe's result.
let probes =
    #""probes":[{"failure":{"actual":"503","detail":"status 503","expected":"2xx","kind":"http"},"latencyMs":120,"probe":"item page","status":503},{"latencyMs":95,"probe":"cart","status":200}]"#
var busy: [String: [(Date, Date)]] = [:]

for (id, _, _) in malls {
    let count = random.int(15...20)
    for index in 0..<count {
        // Spread outages over the year, each 2–6 hours.
        let from = start.addingTimeInterval(year * (Double(index) + Double(random.int(5...90)) / 100) / Double(count)).addingTimeInterval(
            -Double(Int(start.timeIntervalSince1970) % 60))
        let minutes = random.int(120...360)
        let lastSuccess = from.addingTimeInterval(-60)
        let detected = from.addingTimeInterval(20)
        let back = from.addingTimeInterval(Double(minutes * 60))
        busy[id, default: []].append((lastSuccess, back.addingTimeInterval(120)))
        func h(_ ts: Date, _ change: String?, _ body: String, withEvidence: Bool = true) {
            let changeField = change.map { "\"change\":\"\($0)\"," } ?? ""
            let evidenceField = withEvidence ? "\"evidence\":\"\(evidence)\"," : ""
            let probesField = withEvidence && change != nil ? "," + probes : ""
            lines.append(
                (ts, "{\"ts\":\"\(t(ts))\",\"type\":\"channel.health\",\(changeField)\"channel\":\"\(id)\",\(evidenceField)\"health\":\(body)\(probesField)}"))
        }
        h(
            from, "suspected",
            health(
                "suspect", failures: 1, successes: 0, first: from, down: nil, recovering: nil, last: from, success: lastSuccess, failure: evidence,
                next: from.addingTimeInterval(10)))
        h(
            from.addingTimeInterval(10), nil,
            health(
                "suspect", failures: 2, successes: 0, first: from, down: nil, recovering: nil, last: from.addingTimeInterval(10), success: lastSuccess,
                failure: evidence, next: detected))
        h(
            detected, "wentDown",
            health(
                "down", failures: 3, successes: 0, first: from, down: detected, recovering: nil, last: detected, success: lastSuccess, failure: evidence,
                next: detected.addingTimeInterval(60)))
        let incident = "\(id)-\(Int(from.timeIntervalSince1970))"
        lines.append(
            (
                detected,
                "{\"ts\":\"\(t(detected))\",\"type\":\"incident.opened\",\"channel\":\"\(id)\",\"firstFailureAt\":\"\(t(from))\",\"incident\":\"\(incident)\",\"lastSuccessAt\":\"\(t(lastSuccess))\",\"reason\":\"\(evidence)\",\"trigger\":\"probe\"}"
            ))
        var clock = detected
        for step in ["promo", "line", "page"] {
            let key = "\(incident)/mall-down/\(step)"
            lines.append(
                (
                    clock,
                    "{\"ts\":\"\(t(clock))\",\"type\":\"step.started\",\"attempt\":1,\"idempotencyKey\":\"\(key)\",\"incident\":\"\(incident)\",\"phase\":\"failover\",\"request\":\"POST https://api.example/\(step)\",\"step\":\"mall-down/\(step)\"}"
                ))
            let took = random.int(150...2500)
            clock = clock.addingTimeInterval(Double(took) / 1000)
            lines.append(
                (
                    clock,
                    "{\"ts\":\"\(t(clock))\",\"type\":\"step.finished\",\"attempt\":1,\"durationMs\":\(took),\"incident\":\"\(incident)\",\"outcome\":\"succeeded\",\"phase\":\"failover\",\"status\":200,\"step\":\"mall-down/\(step)\"}"
                ))
        }
        lines.append((clock, "{\"ts\":\"\(t(clock))\",\"type\":\"incident.mitigated\",\"incident\":\"\(incident)\"}"))
        var probe = detected.addingTimeInterval(60)
        var failures = 3
        while probe < back {
            failures += 1
            h(
                probe, nil,
                health(
                    "down", failures: failures, successes: 0, first: from, down: detected, recovering: nil, last: probe, success: lastSuccess,
                    failure: evidence, next: probe.addingTimeInterval(60)))
            probe = probe.addingTimeInterval(60)
        }
        h(
            back, "recovering",
            health(
                "recovering", failures: 0, successes: 1, first: from, down: detected, recovering: back, last: back, success: back, failure: evidence,
                next: back.addingTimeInterval(10)), withEvidence: false)
        let up = back.addingTimeInterval(10)
        h(
            up, "recovered",
            health(
                "up", failures: 0, successes: 2, first: nil, down: nil, recovering: back, last: up, success: up, failure: nil, next: up.addingTimeInterval(60)),
            withEvidence: false)
        lines.append(
            (up, "{\"ts\":\"\(t(up))\",\"type\":\"incident.recovering\",\"incident\":\"\(incident)\",\"recoveredAt\":\"\(t(back))\",\"trigger\":\"probe\"}"))
        clock = up
        for step in ["promo/undo", "line-back/recovery"] {
            let key = "\(incident)/mall-down/\(step)"
            let phase = step.hasSuffix("undo") ? "undo" : "recovery"
            lines.append(
                (
                    clock,
                    "{\"ts\":\"\(t(clock))\",\"type\":\"step.started\",\"attempt\":1,\"idempotencyKey\":\"\(key)\",\"incident\":\"\(incident)\",\"phase\":\"\(phase)\",\"request\":\"POST https://api.example/\(step)\",\"step\":\"mall-down/\(step)\"}"
                ))
            let took = random.int(150...900)
            clock = clock.addingTimeInterval(Double(took) / 1000)
            lines.append(
                (
                    clock,
                    "{\"ts\":\"\(t(clock))\",\"type\":\"step.finished\",\"attempt\":1,\"durationMs\":\(took),\"incident\":\"\(incident)\",\"outcome\":\"succeeded\",\"phase\":\"\(phase)\",\"status\":200,\"step\":\"mall-down/\(step)\"}"
                ))
        }
        lines.append((clock, "{\"ts\":\"\(t(clock))\",\"type\":\"incident.resolved\",\"incident\":\"\(incident)\"}"))
    }
}

// Blips fill the rest: one failed round, then a passing one (suspected → cleared).
let channels = malls.map(\.0) + ["own-site"]
while lines.count < target {
    let id = channels[random.int(0...(channels.count - 1))]
    let at = start.addingTimeInterval(Double(random.int(0...Int(year / 60) - 1) * 60))
    if busy[id]?.contains(where: { at >= $0.0.addingTimeInterval(-120) && at <= $0.1 }) == true { continue }
    let cleared = at.addingTimeInterval(10)
    let last = at.addingTimeInterval(-60)
    lines.append(
        (
            at,
            "{\"ts\":\"\(t(at))\",\"type\":\"channel.health\",\"change\":\"suspected\",\"channel\":\"\(id)\",\"evidence\":\"\(evidence)\",\"health\":\(health("suspect", failures: 1, successes: 0, first: at, down: nil, recovering: nil, last: at, success: last, failure: evidence, next: cleared))}"
        ))
    if lines.count < target {
        lines.append(
            (
                cleared,
                "{\"ts\":\"\(t(cleared))\",\"type\":\"channel.health\",\"change\":\"cleared\",\"channel\":\"\(id)\",\"health\":\(health("up", failures: 0, successes: 1, first: nil, down: nil, recovering: nil, last: cleared, success: cleared, failure: evidence, next: cleared.addingTimeInterval(60)))}"
            ))
    }
}
lines.sort { $0.0 < $1.0 }
// Monthly segments, by the UTC month of each record, as Detour writes them.
try! fm.createDirectory(atPath: root + "/.detour/journal", withIntermediateDirectories: true)
var bytes = 0
var order: [String] = []
var pending = ""
func flush() {
    guard let name = order.last else { return }
    bytes += pending.utf8.count
    try! pending.write(toFile: root + "/.detour/journal/\(name).jsonl", atomically: true, encoding: .utf8)
    pending = ""
}
for (ts, line) in lines {
    let name = String(t(ts).prefix(7))
    if name != order.last {
        flush()
        order.append(name)
        pending = #"{"type":"journal.schema","version":2}"# + "\n"
    }
    pending += line + "\n"
}
flush()
print("wrote \(lines.count) journal lines (\(bytes / 1024) KiB) in \(order.count) segments to \(root)/.detour/journal/")
