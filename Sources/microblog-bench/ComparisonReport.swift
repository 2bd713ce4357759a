import Foundation

/// `compare`'s output: one table of every server in every scenario, then one table of microblogd's
/// ratios to Redis and to the bare loop (below 1 is better for latency, memory and CPU; above 1 for
/// deliveries per second). With `--json`, one JSON object per line instead: a `result` line per server
/// and scenario, a `ratio` line per scenario and peer.
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

    private static func format(_ value: Double?, json: Bool = false) -> String {
        guard let value else { return json ? "null" : "n/a" }
        if json { return String(format: "%.3f", value) }
        return value >= 1000 ? String(Int(value.rounded())) : String(format: "%.2f", value)
    }

    private static func row(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
            .trimmingCharacters(in: .whitespaces)
    }

    private static func printResults(_ results: [Comparison.Result]) {
        let widths = [46, 16, 10, 14, 10, 10, 10, 8, 13, 18, 24]
        Swift.print(
            row(
                [
                    "scenario", "server", "watchers", "deliveries/s", "p50 ms", "p99 ms", "max ms", "lost",
                    "KiB/session", "CPU µs/delivery", "load CPU µs/delivery",
                ], widths: widths))
        for result in results {
            let name = "\(result.scenario.key): \(result.scenario.title)"
            let repeated = results.contains { $0.round > 0 }
            let server = result.kind.rawValue + (repeated ? " #\(result.round + 1)" : "")
            guard let report = result.report else {
                Swift.print(row([name, server, "failed: \(result.failure ?? "")"], widths: [46, 16, 200]))
                continue
            }
            let idle = result.scenario.isIdle
            var cells = [name, server, String(report.watchers)]
            cells += metrics.prefix(4).map { idle ? "" : format($0.value(report)) }
            cells.append(idle ? "" : String(result.lost ?? 0))
            cells.append(format(report.kibPerSession))
            cells.append(idle ? "" : format(report.serverMicrosPerDelivery))
            // The load generator's own cost: near a full core, it and not the server sets the pace.
            cells.append(idle ? "" : format(report.loadMicrosPerDelivery))
            Swift.print(row(cells, widths: widths))
        }
    }

    /// microblogd's figure over the peer's in one round, per scenario and metric.
    private struct RatioRow {
        let scenario: Comparison.Scenario
        let peer: ServerKind
        let round: Int
        let values: [Double?]
    }

    private static func ratios(_ results: [Comparison.Result]) -> [RatioRow] {
        var rows: [RatioRow] = []
        var seen: Set<String> = []
        for result in results where !seen.contains("\(result.scenario.key) \(result.round)") {
            seen.insert("\(result.scenario.key) \(result.round)")
            let same = results.filter { $0.scenario.key == result.scenario.key && $0.round == result.round }
            guard let ours = same.first(where: { $0.kind == .microblogd })?.report else { continue }
            for peer in same where peer.kind != .microblogd {
                guard let theirs = peer.report else { continue }
                let values = metrics.map { metric -> Double? in
                    guard metric.forIdle || !result.scenario.isIdle, let a = metric.value(ours),
                        let b = metric.value(theirs), b > 0
                    else { return nil }
                    return a / b
                }
                rows.append(RatioRow(scenario: result.scenario, peer: peer.kind, round: result.round, values: values))
            }
        }
        return rows
    }

    /// Each scenario and peer's ratios over the rounds: median, lowest and highest per metric.
    private static func summaries(_ rows: [RatioRow]) -> [(RatioRow, [(median: Double, low: Double, high: Double)?])] {
        var summaries: [(RatioRow, [(median: Double, low: Double, high: Double)?])] = []
        for row in rows
        where !summaries.contains(where: { $0.0.scenario.key == row.scenario.key && $0.0.peer == row.peer }) {
            let same = rows.filter { $0.scenario.key == row.scenario.key && $0.peer == row.peer }
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
            let widths = [46, 24] + Array(repeating: 14, count: metrics.count - 1) + [24]
            Swift.print(
                row(
                    ["ratios (lower latency ratio is better)", "microblogd / peer"] + metrics.map(\.name),
                    widths: widths))
            for ratio in ratios(results) {
                let cells =
                    ["\(ratio.scenario.key): \(ratio.scenario.title)", "microblogd / \(ratio.peer.rawValue)"]
                    + ratio.values.map { $0.map { String(format: "x %.2f", $0) } ?? "" }
                Swift.print(row(cells, widths: widths))
            }
            return
        }
        // Median of the rounds' ratios, with the lowest and highest in brackets.
        let widths = [46, 24] + Array(repeating: 22, count: metrics.count)
        Swift.print(
            row(
                ["ratios, median of \(rounds) rounds (lowest-highest)", "microblogd / peer"] + metrics.map(\.name),
                widths: widths))
        for (first, columns) in summaries(ratios(results)) {
            let cells =
                ["\(first.scenario.key): \(first.scenario.title)", "microblogd / \(first.peer.rawValue)"]
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
            ]
            if let report = result.report {
                fields += [
                    "\"watchers\":\(report.watchers)", "\"posts\":\(report.posts)",
                    "\"deliveries\":\(report.deliveries)", "\"expected\":\(report.expected)",
                    "\"lost\":\(result.lost ?? 0)", "\"watchers_closed\":\(report.watchersClosed)",
                ]
                fields += metrics.map { "\"\($0.json)\":\(format($0.value(report), json: true))" }
                fields.append("\"load_cpu_us_per_delivery\":\(format(report.loadMicrosPerDelivery, json: true))")
            } else {
                fields.append("\"failure\":\(text(result.failure ?? ""))")
            }
            Swift.print("{" + fields.joined(separator: ",") + "}")
        }
        let rows = ratios(results)
        for ratio in rows {
            var fields = [
                "\"type\":\"ratio\"", "\"scenario\":\(text(ratio.scenario.key))", "\"round\":\(ratio.round + 1)",
                "\"ratio\":\(text("microblogd/" + ratio.peer.rawValue))",
            ]
            fields += zip(metrics, ratio.values).map { "\"\($0.json)\":\(format($1, json: true))" }
            Swift.print("{" + fields.joined(separator: ",") + "}")
        }
        // Over several rounds, one line per scenario and peer with the median of its rounds' ratios.
        guard rows.contains(where: { $0.round > 0 }) else { return }
        for (first, columns) in summaries(rows) {
            var fields = [
                "\"type\":\"ratio_median\"", "\"scenario\":\(text(first.scenario.key))",
                "\"ratio\":\(text("microblogd/" + first.peer.rawValue))",
            ]
            fields += zip(metrics, columns).map { "\"\($0.json)\":\(format($1?.median, json: true))" }
            Swift.print("{" + fields.joined(separator: ",") + "}")
        }
    }
}
