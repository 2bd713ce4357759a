import Foundation

extension FanoutFlood.Report {
    /// `n=N, median M ms, max X ms` of `values` (milliseconds).
    static func summary(_ values: [Double]) -> String {
        guard !values.isEmpty else { return "n=0" }
        let sorted = values.sorted()
        return String(
            format: "n=%d, median %.1f ms, max %.1f ms", sorted.count, sorted[sorted.count / 2], sorted.last ?? 0)
    }

    private func rate(_ count: Int) -> String { String(format: "%d (%.1f/s)", count, perSecond(count)) }

    private var failureList: String {
        loginFailures.isEmpty
            ? "0" : loginFailures.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// The table's rows for the flood and the logins.
    var rows: [(String, String)] {
        var rows: [(String, String)] = [
            (
                "flood (--flood)",
                door == .none
                    ? "none (calm)"
                    : "\(door.rawValue) from \(FanoutFlood.attackerAddress), \(inFlight) in flight "
                        + (idle ? "(SCHED_IDLE), " : "(normal priority), ") + String(format: "%.1f s", seconds)
            )
        ]
        if door != .none {
            rows += [
                ("attacker attempts", rate(attempts)),
                ("attacker answered by the server", rate(answered)),
                ("attacker reset or closed unanswered", rate(unanswered)),
                ("attacker connect failures / timeouts", "\(connectFailures) / \(timeouts)"),
                (
                    "attacker outcomes",
                    attacker.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                ),
            ]
        }
        rows += [
            ("honest logins (/login to welcome)", Self.summary(logins)),
            ("honest connects (to the greeting)", Self.summary(greetings)),
            ("honest logins failed", failureList),
        ]
        return rows
    }

    /// The flood's fields for the JSON line.
    var jsonFields: String {
        let sorted = logins.sorted()
        func number(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "null" }
        return "\"flood\":\"\(door.rawValue)\",\"flood_in_flight\":\(inFlight),\"flood_idle\":\(idle),"
            + "\"flood_seconds\":\(number(seconds)),\"attacker_attempts\":\(attempts),"
            + "\"attacker_attempts_per_second\":\(number(perSecond(attempts))),\"attacker_answered\":\(answered),"
            + "\"attacker_unanswered\":\(unanswered),\"attacker_connect_failures\":\(connectFailures),"
            + "\"attacker_timeouts\":\(timeouts),\"logins\":\(sorted.count),"
            + "\"login_median_ms\":\(number(sorted.isEmpty ? nil : sorted[sorted.count / 2])),"
            + "\"login_max_ms\":\(number(sorted.last)),"
            + "\"login_failures\":\(loginFailures.values.reduce(0, +))"
    }
}

/// The runs of `fanout --flood none,tls,ssh` in one sitting: one column per run, the watchers' latency
/// with each run's ratio to the first (the calm one when `none` comes first), the attacker's rates and the
/// honest logins.
enum FloodComparison {
    static func print(_ reports: [FanoutScenario.Report]) {
        guard let table = SideBySide(reports) else { return }
        let none = table.none
        func flood(_ report: FanoutScenario.Report, _ value: (FanoutFlood.Report) -> String) -> String {
            guard let flood = report.flood, flood.door != .none else { return "-" }
            return value(flood)
        }
        func logins(_ report: FanoutScenario.Report) -> [Double] { report.flood?.logins.sorted() ?? [] }
        let rows: [(String, [String], [String])] =
            [
                ("watching sessions, door", reports.map { "\($0.watchers), \($0.door.rawValue)" }, none),
                ("deliveries / expected", reports.map { "\($0.deliveries) / \($0.expected)" }, none),
                ("watching connections closed", reports.map { String($0.watchersClosed) }, none),
            ] + table.latencyAndCPURows + [
                (
                    "attacker attempts per second",
                    reports.map { flood($0) { String(format: "%.0f", $0.perSecond($0.attempts)) } }, none
                ),
                (
                    "answered per second",
                    reports.map { flood($0) { String(format: "%.1f", $0.perSecond($0.answered)) } },
                    none
                ),
                (
                    "reset/closed unanswered per second",
                    reports.map { flood($0) { String(format: "%.0f", $0.perSecond($0.unanswered)) } }, none
                ),
                (
                    "connect failures / timeouts",
                    reports.map { flood($0) { "\($0.connectFailures) / \($0.timeouts)" } }, none
                ),
                ("honest logins", reports.map { String(logins($0).count) }, none),
                (
                    "honest login median / max (ms)",
                    reports.map {
                        let sorted = logins($0)
                        guard let last = sorted.last else { return "n/a" }
                        return String(format: "%.1f / %.1f", sorted[sorted.count / 2], last)
                    }, none
                ),
                (
                    "honest logins failed",
                    reports.map { String($0.flood?.loginFailures.values.reduce(0, +) ?? 0) }, none
                ),
            ]
        table.print("fanout: flood", columns: reports.map { $0.flood?.door.rawValue ?? "-" }, rows: rows)
    }
}
