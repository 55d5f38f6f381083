import Foundation

/// A planned window in which a channel is expected to be unavailable (`RMS定期メンテナンス`).
public struct MaintenanceWindow: Sendable, Equatable {
    /// When the window opens.
    public var from: Date
    /// When it closes (exclusive).
    public var to: Date
    /// The merchant's note, shown in the journal and in notices.
    public var note: String
    /// The channels it applies to (calendar windows; a channel file's own windows apply to that channel).
    public var channels: ChannelSelector

    /// Creates a window.
    public init(from: Date, to: Date, note: String, channels: ChannelSelector = .all) {
        self.from = from
        self.to = to
        self.note = note
        self.channels = channels
    }

    /// Whether `time` is inside the window.
    public func contains(_ time: Date) -> Bool { from <= time && time < to }
}

extension Workspace {
    /// The first time after `time` that a planned window starts for any channel.
    public func nextMaintenanceStart(after time: Date) -> Date? {
        (channels.flatMap(\.maintenance) + settings.maintenance).map(\.from).filter { $0 > time }.min()
    }

    /// The window `channel` is in at `time`, from its own file or from the calendar.
    public func maintenanceWindow(for channel: Channel, at time: Date) -> MaintenanceWindow? {
        channel.maintenance.first { $0.contains(time) }
            ?? settings.maintenance.first { $0.channels.matches(channel.id) && $0.contains(time) }
    }
}

extension Workspace {
    /// Every configured maintenance window per channel (the channel's own and the calendar's), oldest first:
    /// what reports list as planned (not lost sales) and status pages announce.
    public var plannedMaintenance: [PlannedMaintenance] {
        channels.flatMap { channel in
            (channel.maintenance + settings.maintenance.filter { $0.channels.matches(channel.id) }).map {
                PlannedMaintenance(channel: channel.id, from: $0.from, to: $0.to, note: $0.note)
            }
        }
        .sorted { ($0.from, $0.channel) < ($1.from, $1.channel) }
    }
}
