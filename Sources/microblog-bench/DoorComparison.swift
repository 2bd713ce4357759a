import Foundation

/// The same scenario run once per door in one sitting (`--door both|all|plain,web`): one column per door
/// and the ratio of each other door to the first (TLS, SSH and web to plain), so a door's cost reads off
/// one table.
enum DoorComparison {
    static func print(_ reports: [FanoutScenario.Report], scenario: String) {
        guard let table = SideBySide(reports) else { return }
        let none = table.none
        var rows: [(String, [String], [String])] = [
            ("watching sessions", reports.map { String($0.watchers) }, none),
            (
                "server RSS before / connected (KiB)",
                reports.map {
                    "\($0.rssBeforeKiB.map(String.init) ?? "n/a") / \($0.rssConnectedKiB.map(String.init) ?? "n/a")"
                }, none
            ),
            (
                "server RSS per session (KiB)", reports.map { SideBySide.number($0.kibPerSession) },
                table.ratio { $0.kibPerSession }
            ),
        ]
        if reports[0].posts > 0 {
            func seconds(_ report: FanoutScenario.Report) -> Double? {
                report.seconds > 0 ? Double(report.deliveries) / report.seconds : nil
            }
            rows += [
                ("posts", reports.map { String($0.posts) }, none),
                ("deliveries / expected", reports.map { "\($0.deliveries) / \($0.expected)" }, none),
                ("lost deliveries", reports.map { String($0.expected - $0.deliveries) }, none),
                ("watching connections closed", reports.map { String($0.watchersClosed) }, none),
                ("deliveries per second", reports.map { seconds($0).map { String(Int($0)) } ?? "n/a" }, none),
            ]
            rows += table.latencyAndCPURows
        }
        table.print("\(scenario): door", columns: reports.map(\.door.rawValue), rows: rows)
    }
}

/// A table of fan-out runs side by side, one column per run and each later run's ratio to the first:
/// what `DoorComparison` and `FloodComparison` print.
struct SideBySide {
    let reports: [FanoutScenario.Report]

    /// Nil unless there are at least two runs to compare.
    init?(_ reports: [FanoutScenario.Report]) {
        guard reports.count > 1 else { return nil }
        self.reports = reports
    }

    static func number(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "n/a" }

    /// Each later run's `key` over the first run's, as `x 1.23` (empty when either is missing or 0).
    func ratio(_ key: (FanoutScenario.Report) -> Double?) -> [String] {
        reports.dropFirst().map { other in
            guard let base = key(reports[0]), let value = key(other), base > 0 else { return "" }
            return String(format: "x %.2f", value / base)
        }
    }

    /// No ratio for any later run.
    var none: [String] { reports.dropFirst().map { _ in "" } }

    /// The latency percentiles and the CPU per delivery of the server and the load generator, with ratios.
    var latencyAndCPURows: [(String, [String], [String])] {
        func row(_ name: String, _ key: @escaping (FanoutScenario.Report) -> Double?) -> (String, [String], [String]) {
            (name, reports.map { Self.number(key($0)) }, ratio(key))
        }
        return [
            row("latency p50 (ms)") { $0.latency.p50 },
            row("latency p90 (ms)") { $0.latency.p90 },
            row("latency p99 (ms)") { $0.latency.p99 },
            row("latency max (ms)") { $0.latency.max },
            row("server CPU per delivery (µs)") { $0.serverMicrosPerDelivery },
            row("load generator CPU per delivery (µs)") { $0.loadMicrosPerDelivery },
        ]
    }

    /// Prints the header (`title`, the runs' `columns` and the ratios' names) and `rows`.
    func print(_ title: String, columns: [String], rows: [(String, [String], [String])]) {
        func line(_ name: String, _ columns: [String], _ ratios: [String]) -> String {
            name.padding(toLength: 38, withPad: " ", startingAt: 0)
                + (columns + ratios.dropLast()).map { $0.padding(toLength: 24, withPad: " ", startingAt: 0) }.joined()
                + (ratios.last ?? "")
        }
        Swift.print(line(title, columns, columns.dropFirst().map { "\($0) / \(columns[0])" }))
        for (name, columns, ratio) in rows { Swift.print(line(name, columns, ratio)) }
    }
}
