import Foundation

/// `compare`'s output: one table of every server in every scenario, then one table of microblogd's
/// ratios to Redis and to the bare loop (below 1 is better for latency, memory and CPU; above 1 for
/// deliveries per second), both by the plain door, and with `--doors` each other door's ratio to the
/// plain door. With `--json`, one JSON object per line instead: a `result` line per server (and door)
/// and scenario, a `ratio` line per scenario and peer or door.
enum ComparisonReport {
    /// The figures compared, each with its JSON name and how it reads off a report (nil: not measured).
    private struct Metric: Sendable {
        let name: String
        let json: String
        let forIdle: Bool
        let value: @Sendable (FanoutScenario.Report) -> Double?
    }

    private static let metrics: [Metric] = [
        Metric(name: "deliveries/s", json: "deliveries_per_second", forIdle: false) {
            $0.seconds > 0 ? Double($0.deliveries) / $0.seconds : nil
        },
        Metric(name: "p50 (ms)", json: "p50_ms", forIdle: false) { $0.deliveries > 0 ? $0.latency.p50 : nil },
        Metric(name: "p99 (ms)", json: "p99_ms", forIdle: false) { $0.deliveries > 0 ? $0.latency.p99 : nil },
        Metric(name: "max (ms)", json: "max_ms", forIdle: false) { $0.deliveries > 0 ? $0.latency.max : nil },
        Metric(name: "KiB/session", json: "kib_per_session", forIdle: true) { $0.kibPerSession },
        Metric(name: "CPU µs/delivery", json: "server_cpu_us_per_delivery", forIdle: false) {
            $0.serverMicrosPerDelivery
        },
        // The load generator's own cost: near a full core, it and not the server sets the pace.
        Metric(name: "load CPU µs/delivery", json: "load_cpu_us_per_delivery", forIdle: false) {
            $0.loadMicrosPerDelivery
        },
    ]

    static func print(_ results: [Comparison.Result], json: Bool) {
        if json {
            printJSON(results)
            return
        }
        printResults(results)
        Swift.print("")
        printRatios(results)
    }

    /// The first column's width: the longest title ("g: 200 posts pipelined by one client to 10000
    /// watchers") and a blank.
    private static let scenarioWidth = 56

    private static func format(_ value: Double?, json: Bool = false) -> String {
        guard let value else { return json ? "null" : "n/a" }
        if json { return String(format: "%.3f", value) }
        return value >= 1000 ? String(Int(value.rounded())) : String(format: "%.2f", value)
    }

    private static func row(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
            .trimmingCharacters(in: .whitespaces)
    }

    /// The server's name in the tables: microblogd with its door when more than the plain one ran.
    private static func server(_ result: Comparison.Result, doors: Bool) -> String {
        result.kind == .microblogd && doors ? "microblogd \(result.door.rawValue)" : result.kind.rawValue
    }

    /// Whether microblogd ran by more doors than the plain one (`--doors`).
    private static func hasDoors(_ results: [Comparison.Result]) -> Bool { results.contains { $0.door != .plain } }

    private static func printResults(_ results: [Comparison.Result]) {
        let widths = [scenarioWidth, 20, 10, 14, 10, 10, 10, 8, 11, 13, 18, 24]
        Swift.print(
            row(
                [
                    "scenario", "server", "watchers", "deliveries/s", "p50 ms", "p99 ms", "max ms", "lost",
                    "not acked", "KiB/session", "CPU µs/delivery", "load CPU µs/delivery",
                ], widths: widths))
        let doors = hasDoors(results)
        let repeated = results.contains { $0.round > 0 }
        for result in results {
            let name = "\(result.scenario.key): \(result.scenario.title)"
            let server = server(result, doors: doors) + (repeated ? " #\(result.round + 1)" : "")
            guard let report = result.report else {
                Swift.print(row([name, server, "failed: \(result.failure ?? "")"], widths: [scenarioWidth, 20, 200]))
                continue
            }
            let idle = result.scenario.isIdle
            var cells = [name, server, String(report.watchers)]
            cells += metrics.prefix(4).map { idle ? "" : format($0.value(report)) }
            cells.append(idle ? "" : String(result.lost ?? 0))
            // Posts refused or never acknowledged; the bare loop acknowledges nothing.
            cells.append(idle ? "" : result.unacknowledged.map(String.init) ?? "n/a")
            cells.append(format(report.kibPerSession))
            cells.append(idle ? "" : format(report.serverMicrosPerDelivery))
            cells.append(idle ? "" : format(report.loadMicrosPerDelivery))
            Swift.print(row(cells, widths: widths))
        }
    }

    /// One figure over another in one round, per scenario and metric: microblogd's over a peer's (both
    /// by the plain door), or microblogd's by another door over its own by the plain door.
    private struct RatioRow {
        let scenario: Comparison.Scenario
        /// What is over what, for the table ("microblogd / redis", "microblogd tls / microblogd plain").
        let label: String
        /// The same for JSON, where microblogd alone is its plain door ("microblogd/redis", as before
        /// `--doors`; "microblogd tls/microblogd plain").
        let json: String
        let round: Int
        let values: [Double?]
    }

    private static func ratios(_ results: [Comparison.Result]) -> [RatioRow] {
        var rows: [RatioRow] = []
        var seen: Set<String> = []
        let doors = hasDoors(results)
        for result in results where !seen.contains("\(result.scenario.key) \(result.round)") {
            seen.insert("\(result.scenario.key) \(result.round)")
            let same = results.filter { $0.scenario.key == result.scenario.key && $0.round == result.round }
            guard let ours = same.first(where: { $0.kind == .microblogd && $0.door == .plain })?.report else {
                continue
            }
            func ratios(_ theirs: FanoutScenario.Report, over base: FanoutScenario.Report) -> [Double?] {
                metrics.map { metric -> Double? in
                    guard metric.forIdle || !result.scenario.isIdle, let a = metric.value(theirs),
                        let b = metric.value(base), b > 0
                    else { return nil }
                    return a / b
                }
            }
            let plain = doors ? "microblogd plain" : "microblogd"
            for peer in same where peer.kind != .microblogd {
                guard let theirs = peer.report else { continue }
                rows.append(
                    RatioRow(
                        scenario: result.scenario, label: "\(plain) / \(peer.kind.rawValue)",
                        json: "microblogd/\(peer.kind.rawValue)", round: result.round,
                        values: ratios(ours, over: theirs)))
            }
            for door in same where door.kind == .microblogd && door.door != .plain {
                guard let theirs = door.report else { continue }
                let name = server(door, doors: doors)
                rows.append(
                    RatioRow(
                        scenario: result.scenario, label: "\(name) / \(plain)", json: "\(name)/\(plain)",
                        round: result.round, values: ratios(theirs, over: ours)))
            }
        }
        return rows
    }

    /// Each scenario and peer's (or door's) ratios over the rounds: median, lowest and highest per metric.
    private static func summaries(_ rows: [RatioRow]) -> [(RatioRow, [(median: Double, low: Double, high: Double)?])] {
        var summaries: [(RatioRow, [(median: Double, low: Double, high: Double)?])] = []
        for row in rows
        where !summaries.contains(where: { $0.0.scenario.key == row.scenario.key && $0.0.label == row.label }) {
            let same = rows.filter { $0.scenario.key == row.scenario.key && $0.label == row.label }
            let columns = metrics.indices.map { index -> (median: Double, low: Double, high: Double)? in
                let values = same.compactMap { $0.values[index] }.sorted()
                guard let low = values.first, let high = values.last else { return nil }
                let middle = values.count / 2
                let median = values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
                return (median, low, high)
            }
            summaries.append((row, columns))
        }
        return summaries
    }

    private static func printRatios(_ results: [Comparison.Result]) {
        let rounds = (results.map(\.round).max() ?? 0) + 1
        guard rounds > 1 else {
            let widths = [scenarioWidth, 36] + Array(repeating: 14, count: metrics.count - 2) + [18, 24]
            Swift.print(
                row(
                    ["ratios (lower latency ratio is better)", "microblogd / peer"] + metrics.map(\.name),
                    widths: widths))
            for ratio in ratios(results) {
                let cells =
                    ["\(ratio.scenario.key): \(ratio.scenario.title)", ratio.label]
                    + ratio.values.map { $0.map { String(format: "x %.2f", $0) } ?? "" }
                Swift.print(row(cells, widths: widths))
            }
            return
        }
        // Median of the rounds' ratios, with the lowest and highest in brackets.
        let widths = [scenarioWidth, 36] + Array(repeating: 22, count: metrics.count)
        Swift.print(
            row(
                ["ratios, median of \(rounds) rounds (lowest-highest)", "microblogd / peer"] + metrics.map(\.name),
                widths: widths))
        for (first, columns) in summaries(ratios(results)) {
            let cells =
                ["\(first.scenario.key): \(first.scenario.title)", first.label]
                + columns.map { column in
                    column.map { String(format: "x %.2f (%.2f-%.2f)", $0.median, $0.low, $0.high) } ?? ""
                }
            Swift.print(row(cells, widths: widths))
        }
    }

    private static func printJSON(_ results: [Comparison.Result]) {
        func text(_ value: String) -> String {
            "\""
                + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: " ") + "\""
        }
        for result in results {
            var fields = [
                "\"type\":\"result\"", "\"scenario\":\(text(result.scenario.key))", "\"round\":\(result.round + 1)",
                "\"title\":\(text(result.scenario.title))", "\"server\":\(text(result.kind.rawValue))",
                "\"door\":\(text(result.door.rawValue))",
            ]
            if let report = result.report {
                fields += [
                    "\"watchers\":\(report.watchers)", "\"posts\":\(report.posts)",
                    "\"deliveries\":\(report.deliveries)", "\"expected\":\(report.expected)",
                    "\"lost\":\(result.lost ?? 0)", "\"watchers_closed\":\(report.watchersClosed)",
                    "\"refused\":\(report.refused.map(String.init) ?? "null")",
                    "\"unanswered\":\(report.unanswered.map(String.init) ?? "null")",
                ]
                fields += metrics.map { "\"\($0.json)\":\(format($0.value(report), json: true))" }
            } else {
                fields.append("\"failure\":\(text(result.failure ?? ""))")
            }
            Swift.print("{" + fields.joined(separator: ",") + "}")
        }
        let rows = ratios(results)
        for ratio in rows {
            var fields = [
                "\"type\":\"ratio\"", "\"scenario\":\(text(ratio.scenario.key))", "\"round\":\(ratio.round + 1)",
                "\"ratio\":\(text(ratio.json))",
            ]
            fields += zip(metrics, ratio.values).map { "\"\($0.json)\":\(format($1, json: true))" }
            Swift.print("{" + fields.joined(separator: ",") + "}")
        }
        // Over several rounds, one line per scenario and peer (or door) with the median of its rounds' ratios.
        guard rows.contains(where: { $0.round > 0 }) else { return }
        for (first, columns) in summaries(rows) {
            var fields = [
                "\"type\":\"ratio_median\"", "\"scenario\":\(text(first.scenario.key))",
                "\"ratio\":\(text(first.json))",
            ]
            fields += zip(metrics, columns).map { "\"\($0.json)\":\(format($1?.median, json: true))" }
            Swift.print("{" + fields.joined(separator: ",") + "}")
        }
    }
}
