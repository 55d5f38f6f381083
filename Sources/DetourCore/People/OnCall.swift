import Foundation

/// Who is on call at a time: pure, over a schedule, with the time passed in.
public struct OnCall: Sendable {
    /// The schedule it reads.
    public var schedule: OnCallSchedule

    /// Creates the view over a schedule.
    public init(schedule: OnCallSchedule) { self.schedule = schedule }

    /// One shift of a rotation.
    public struct Shift: Sendable, Equatable {
        /// The person on call.
        public var person: Person
        /// When the shift started.
        public var from: Date
        /// When it ends (the next handoff, or the override's end).
        public var to: Date
        /// The override that put the person there, if one did.
        public var override: OnCallOverride?
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = schedule.timeZone
        return calendar
    }

    /// The first handoff at or after the rotation's start: shift 0 begins there.
    private func firstHandoff(_ rotation: Rotation) -> Date {
        var components = DateComponents(hour: rotation.handoffHour, minute: rotation.handoffMinute, second: 0)
        components.weekday = rotation.handoffWeekday
        let start = calendar.dateComponents([.hour, .minute, .second, .weekday], from: rotation.start)
        if start.hour == rotation.handoffHour, start.minute == rotation.handoffMinute, start.second == 0,
            rotation.handoffWeekday == nil || start.weekday == rotation.handoffWeekday
        {
            return rotation.start
        }
        return calendar.nextDate(after: rotation.start, matching: components, matchingPolicy: .nextTime) ?? rotation.start
    }

    /// The start of shift `n` (local days, so a clock change never moves the handoff's hour).
    private func shiftStart(_ rotation: Rotation, _ n: Int) -> Date {
        calendar.date(byAdding: .day, value: n * rotation.everyDays, to: firstHandoff(rotation)) ?? firstHandoff(rotation)
    }

    /// Which shift a time falls in (negative before the first handoff).
    private func shiftIndex(_ rotation: Rotation, at time: Date) -> Int {
        let first = firstHandoff(rotation)
        let days = calendar.dateComponents([.day], from: first, to: time).day ?? 0
        var n = Int((Double(days) / Double(rotation.everyDays)).rounded(.down))
        // Day counts truncate toward zero: step to the shift whose start is at or before the time.
        while shiftStart(rotation, n) > time { n -= 1 }
        while shiftStart(rotation, n + 1) <= time { n += 1 }
        return n
    }

    /// The rotation's own shift at a time, overrides aside.
    private func regularShift(_ rotation: Rotation, at time: Date) -> Shift? {
        guard !rotation.members.isEmpty else { return nil }
        let n = shiftIndex(rotation, at: time)
        let index = ((n % rotation.members.count) + rotation.members.count) % rotation.members.count
        guard let person = schedule.person(rotation.members[index]) else { return nil }
        return Shift(person: person, from: shiftStart(rotation, n), to: shiftStart(rotation, n + 1))
    }

    /// Who covers a rotation at a time: an override in force, or the member whose shift it is.
    public func shift(of rotationID: String, at time: Date) -> Shift? {
        guard let rotation = schedule.rotation(rotationID) else { return nil }
        if let override = schedule.overrides.first(where: { $0.rotation == rotationID && $0.from <= time && time < $0.to }),
            let person = schedule.person(override.person)
        {
            return Shift(person: person, from: override.from, to: override.to, override: override)
        }
        guard var shift = regularShift(rotation, at: time) else { return nil }
        // A shift starts late where an override ended, and ends early where one begins.
        if let ended = schedule.overrides.filter({ $0.rotation == rotationID && $0.to <= time && $0.to > shift.from }).map(\.to).max() {
            shift.from = ended
        }
        if let next = schedule.overrides.filter({ $0.rotation == rotationID && $0.from > time && $0.from < shift.to }).map(\.from).min() {
            shift.to = next
        }
        return shift
    }

    /// The person an escalation level reaches at a time: the rotation's on-call, or the person named.
    public func person(for target: String, at time: Date) -> Person? {
        if schedule.rotation(target) != nil { return shift(of: target, at: time)?.person }
        return schedule.person(target)
    }

    /// The next `count` changes of who covers a rotation after a time (handoffs and overrides).
    public func upcoming(of rotationID: String, after time: Date, count: Int) -> [Shift] {
        var result: [Shift] = []
        var cursor = time
        guard let current = shift(of: rotationID, at: cursor) else { return [] }
        cursor = current.to
        // Bounded: each step moves to the end of a shift.
        for _ in 0..<(count * 4) where result.count < count {
            guard let next = shift(of: rotationID, at: cursor) else { break }
            result.append(next)
            cursor = next.to
        }
        return result
    }
}
