import Foundation
import Testing

@testable import DetourCore

/// The health state machine, driven by a manual clock.
struct ChannelHealthTests {
    let schedule = Schedule(every: .seconds(60), confirmEvery: .seconds(10), failAfter: 3, recoverAfter: 2)
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Feeds results at each due time and returns the changes.
    func drive(_ results: [Bool], from health: inout ChannelHealth, clock: ManualClock) -> [HealthChange?] {
        results.map { success in
            if let due = health.nextDueAt { clock.set(due) }
            return health.record(success: success, at: clock.now(), reason: success ? nil : "503", schedule: schedule)
        }
    }

    @Test func confirmsAnOutageOnlyAfterFailAfterFailures() {
        let clock = ManualClock(start)
        var health = ChannelHealth()
        let changes = drive([true, false, false, false], from: &health, clock: clock)
        #expect(changes == [nil, .suspected, nil, .wentDown])
        #expect(health.state == .down)
        #expect(health.firstFailureAt == start.addingTimeInterval(60))
        #expect(health.lastSuccessAt == start)
        // Confirmation probes follow confirmEvery: first failure at +60 s, down at +80 s.
        #expect(health.downAt == start.addingTimeInterval(80))
    }

    @Test func aBlipClearsWithoutGoingDown() {
        let clock = ManualClock(start)
        var health = ChannelHealth()
        let changes = drive([false, false, true, false, true], from: &health, clock: clock)
        #expect(changes == [.suspected, nil, .cleared, .suspected, .cleared])
        #expect(health.state == .up)
        #expect(health.downAt == nil)
    }

    @Test func recoveryNeedsRecoverAfterSuccessesAndARelapseStartsOver() {
        let clock = ManualClock(start)
        var health = ChannelHealth()
        _ = drive([false, false, false], from: &health, clock: clock)
        let changes = drive([true, false, true, true], from: &health, clock: clock)
        #expect(changes == [.recovering, .relapsed, .recovering, .recovered])
        #expect(health.state == .up)
        #expect(health.consecutiveFailures == 0)
    }

    @Test func intervalsFollowTheState() {
        let clock = ManualClock(start)
        var health = ChannelHealth()
        _ = drive([true], from: &health, clock: clock)
        #expect(health.nextDueAt == start.addingTimeInterval(60))
        _ = drive([false], from: &health, clock: clock)
        #expect(health.nextDueAt == clock.now().addingTimeInterval(10))
    }

    @Test func cronJitterDoesNotSkipARun() {
        var health = ChannelHealth()
        _ = health.record(success: true, at: start, schedule: schedule)
        // The next cron run starts 300 ms "early" relative to the last probe.
        #expect(health.isDue(at: start.addingTimeInterval(59.7), schedule: schedule))
        #expect(!health.isDue(at: start.addingTimeInterval(30), schedule: schedule))
    }

    @Test func failAfterOneGoesStraightDown() {
        var health = ChannelHealth()
        let one = Schedule(every: .seconds(60), confirmEvery: .seconds(10), failAfter: 1, recoverAfter: 1)
        #expect(health.record(success: false, at: start, schedule: one) == .wentDown)
        #expect(health.record(success: true, at: start.addingTimeInterval(60), schedule: one) == .recovered)
    }
    @Test func slowButAnsweringIsDegradedOnceAndFastAgainIsUp() {
        var health = ChannelHealth()
        let t = start
        #expect(health.record(success: true, degraded: true, at: t, schedule: schedule) == .degraded)
        #expect(health.state == .degraded)
        #expect(health.record(success: true, degraded: true, at: t + 60, schedule: schedule) == nil)
        #expect(health.record(success: true, degraded: false, at: t + 120, schedule: schedule) == .undegraded)
        #expect(health.state == .up)
    }

    @Test func aDegradedChannelCanStillGoDown() {
        var health = ChannelHealth()
        _ = health.record(success: true, degraded: true, at: start, schedule: schedule)
        let changes = (1...3).map { health.record(success: false, at: start + Double($0 * 10), schedule: schedule) }
        #expect(changes == [.suspected, nil, .wentDown])
        #expect(health.state == .down)
    }

    @Test func maintenanceIgnoresFailuresAndEndsDueAtOnce() {
        var health = ChannelHealth()
        _ = health.record(success: false, at: start, schedule: schedule)
        #expect(health.enterMaintenance(at: start + 5) == .maintenanceStarted)
        #expect(health.enterMaintenance(at: start + 6) == nil)
        #expect(health.consecutiveFailures == 0)
        for offset in 1...5 { #expect(health.record(success: false, at: start + Double(offset * 10), schedule: schedule) == nil) }
        #expect(health.state == .maintenance)
        #expect(health.leaveMaintenance(at: start + 3600) == .maintenanceEnded)
        #expect(health.state == .up)
        #expect(health.isDue(at: start + 3600, schedule: schedule))
        #expect(health.leaveMaintenance(at: start + 3601) == nil)
    }
}
