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

        // The console (`watch --listen`).
        "console.title": "Detour console",
        "console.signedInAs": "Signed in as {name} ({role})",
        "console.role.viewer": "viewer",
        "console.role.operator": "operator",
        "console.signOut": "Sign out",
        "console.channels": "Channels",
        "console.incidents": "Open incidents",
        "console.noIncidents": "No open incidents.",
        "console.lastProbes": "Last probes",
        "console.steps": "Steps",
        "console.timeline": "Timeline",
        "console.action.failover": "Fail over",
        "console.action.restore": "Restore",
        "console.action.hold": "Hold",
        "console.action.release": "Release the hold",
        "console.action.approve": "Approve",
        "console.action.ack": "Acknowledge",
        "console.action.retry": "Retry failed steps",
        "console.reason": "Reason",
        "console.until": "Until (optional)",
        "console.confirm": "Carry this out now?",
        "console.done": "Done: {action} ({target}).",
        "console.failed": "Could not {action} ({target}): {reason}",
        "console.reasonRequired": "Write a reason to fail over: it is journaled and shown to the team.",
        "console.forbidden": "Your role can view but not act. Ask an operator to do it.",
        "console.signIn.title": "Sign in",
        "console.signIn.hint": "Ask for a sign-in link on the server: detour console login NAME",
        "console.signIn.expired": "This sign-in link has expired or was already used. Ask for a new one: detour console login NAME",
        "console.signedOut": "You are signed out.",
        "console.csrf": "This form has expired or came from another site. Reload the page and try again.",
        "console.tooMany": "Too many attempts. Wait a minute, then try again.",
        "console.report": "Lost-sale report",
        "console.runbook": "Response manual",
        "console.statusPage": "Public status page",
        "console.lastPass": "Last pass: {time}",
        "console.noPass": "No pass yet",
        "console.unknownAction": "Unknown action: {action}",
        "console.badUntil":
            "\"{value}\" is not a time; write a duration such as 2h, or a time such as 2026-12-04T21:00, or leave it empty to hold until released.",
        "console.unknownTarget": "Unknown channel or incident: {target}",
    ]
}
