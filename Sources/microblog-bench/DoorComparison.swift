import Foundation

/// The same scenario run once per door in one sitting (`--door both|all|plain,web`): one column per door
/// and the ratio of each other door to the first (TLS, SSH and web to plain), so a door's cost reads off
/// one table.
enum DoorComparison {
    static func print(_ reports: [FanoutScenario.Report], scenario: String) {
        guard let first = reports.first, reports.count > 1 else { return }
        let others = reports.dropFirst()
        func number(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "n/a" }
        func ratio(_ key: (FanoutScenario.Report) -> Double?) -> [String] {
            others.map { other in
                guard let base = key(first), let value = key(other), base > 0 else { return "" }
                return String(format: "x %.2f", value / base)
            }
        }
        let none = others.map { _ in "" }
        var rows: [(String, [String], [String])] = [
            ("watching sessions", reports.map { String($0.watchers) }, none),
            (
                "server RSS before / connected (KiB)",
                reports.map {
                    "\($0.rssBeforeKiB.map(String.init) ?? "n/a") / \($0.rssConnectedKiB.map(String.init) ?? "n/a")"
                }, none
            ),
            ("server RSS per session (KiB)", reports.map { number($0.kibPerSession) }, ratio { $0.kibPerSession }),
        ]
        if first.posts > 0 {
            func seconds(_ report: FanoutScenario.Report) -> Double? {
                report.seconds > 0 ? Double(report.deliveries) / report.seconds : nil
            }
            rows += [
                ("posts", reports.map { String($0.posts) }, none),
                ("deliveries / expected", reports.map { "\($0.deliveries) / \($0.expected)" }, none),
                ("lost deliveries", reports.map { String($0.expected - $0.deliveries) }, none),
                ("watching connections closed", reports.map { String($0.watchersClosed) }, none),
                ("deliveries per second", reports.map { seconds($0).map { String(Int($0)) } ?? "n/a" }, none),
                ("latency p50 (ms)", reports.map { number($0.latency.p50) }, ratio { $0.latency.p50 }),
                ("latency p90 (ms)", reports.map { number($0.latency.p90) }, ratio { $0.latency.p90 }),
                ("latency p99 (ms)", reports.map { number($0.latency.p99) }, ratio { $0.latency.p99 }),
                ("latency max (ms)", reports.map { number($0.latency.max) }, ratio { $0.latency.max }),
                (
                    "server CPU per delivery (µs)", reports.map { number($0.serverMicrosPerDelivery) },
                    ratio { $0.serverMicrosPerDelivery }
                ),
                (
                    "load generator CPU per delivery (µs)", reports.map { number($0.loadMicrosPerDelivery) },
                    ratio { $0.loadMicrosPerDelivery }
                ),
            ]
        }
        func line(_ name: String, _ columns: [String], _ ratios: [String]) -> String {
            name.padding(toLength: 38, withPad: " ", startingAt: 0)
                + (columns + ratios.dropLast()).map { $0.padding(toLength: 24, withPad: " ", startingAt: 0) }.joined()
                + (ratios.last ?? "")
        }
        Swift.print(
            line(
                "\(scenario): door", reports.map(\.door.rawValue),
                others.map { "\($0.door.rawValue) / \(first.door.rawValue)" }))
        for (name, columns, ratio) in rows { Swift.print(line(name, columns, ratio)) }
    }
}
