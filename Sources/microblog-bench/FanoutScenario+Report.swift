import Foundation

extension FanoutScenario {
    struct Report {
        var door = Door.plain
        /// Whether the watchers were opened one at a time (`connectOneAtATime`).
        var connectedOneAtATime = false
        var watchers: Int
        /// Watching connections the server closed during the run (none is expected).
        var watchersClosed = 0
        var rssBeforeKiB: Int?
        var rssConnectedKiB: Int?
        var posts = 0
        var seconds = 0.0
        var deliveries = 0
        var expected = 0
        /// Posts the server refused (an error such as `rate_limited`), and posts it did not acknowledge
        /// at all; nil for a server that acknowledges nothing (the bare loop).
        var refused: Int?
        var unanswered: Int?
        var latency = Percentiles([])
        /// CPU seconds while posting and delivering: the server's (nil when it is not ours to read), and
        /// the load generator's (posting and reading every watcher).
        var serverCPUSeconds: Double?
        var loadCPUSeconds: Double?
        /// CPU microseconds per delivery, on each side.
        var serverMicrosPerDelivery: Double? { serverCPUSeconds.flatMap(perDelivery) }
        var loadMicrosPerDelivery: Double? { loadCPUSeconds.flatMap(perDelivery) }
        private func perDelivery(_ seconds: Double) -> Double? {
            deliveries > 0 ? seconds * 1_000_000 / Double(deliveries) : nil
        }
        /// With several nodes: each node's RSS growth over the sessions it holds, the posting node first.
        var kibPerSessionByNode: [Double] = []
        /// With `--flood`: the attacker's counts and the honest client's logins.
        var flood: FanoutFlood.Report?
        var kibPerSession: Double? {
            if !kibPerSessionByNode.isEmpty { return kibPerSessionByNode.max() }
            guard let before = rssBeforeKiB, let after = rssConnectedKiB, watchers > 0 else { return nil }
            return Double(after - before) / Double(watchers)
        }
    }

    /// Prints `report` as one JSON object or as a table of rows.
    static func print(
        _ report: Report, scenario: String, json: Bool, lifted: [String], commits: ServerUnderTest.Commits? = nil
    ) {
        if json {
            Swift.print(jsonLine(report, scenario: scenario, lifted: lifted, commits: commits))
            return
        }
        for (name, value) in rows(report, commits: commits) {
            Swift.print(name.padding(toLength: 38, withPad: " ", startingAt: 0) + value)
        }
    }

    private static func number(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "null" }

    private static func deliveriesPerSecond(_ report: Report) -> Double {
        report.seconds > 0 ? Double(report.deliveries) / report.seconds : 0
    }

    /// The report as one JSON object on a line.
    private static func jsonLine(
        _ report: Report, scenario: String, lifted: [String], commits: ServerUnderTest.Commits?
    ) -> String {
        let lost = report.expected - report.deliveries
        let perSecond = deliveriesPerSecond(report)
        var fields = [
            "\"scenario\":\"\(scenario)\"", "\"door\":\"\(report.door.rawValue)\"",
            "\"connect\":\"\(report.connectedOneAtATime ? "serial" : "burst")\"",
            "\"watchers\":\(report.watchers)", "\"watchers_closed\":\(report.watchersClosed)",
            "\"rss_kib_before\":\(report.rssBeforeKiB.map(String.init) ?? "null")",
            "\"rss_kib_connected\":\(report.rssConnectedKiB.map(String.init) ?? "null")",
            "\"kib_per_session\":\(number(report.kibPerSession))",
        ]
        if report.posts > 0 {
            fields += [
                "\"posts\":\(report.posts)", "\"seconds\":\(number(report.seconds))",
                "\"deliveries\":\(report.deliveries)", "\"lost\":\(lost)",
                "\"refused\":\(report.refused.map(String.init) ?? "null")",
                "\"unanswered\":\(report.unanswered.map(String.init) ?? "null")",
                "\"deliveries_per_second\":\(Int(perSecond))", "\"p50_ms\":\(number(report.latency.p50))",
                "\"p90_ms\":\(number(report.latency.p90))", "\"p99_ms\":\(number(report.latency.p99))",
                "\"max_ms\":\(number(report.latency.max))",
                "\"server_cpu_us_per_delivery\":\(number(report.serverMicrosPerDelivery))",
                "\"load_cpu_us_per_delivery\":\(number(report.loadMicrosPerDelivery))",
            ]
        }
        if let commits, report.posts > 0 { fields.append(commits.jsonFields) }
        if let flood = report.flood { fields.append(flood.jsonFields) }
        fields.append("\"lifted\":[\(lifted.map { "\"\($0)\"" }.joined(separator: ","))]")
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// The report as a table's (name, value) rows.
    private static func rows(_ report: Report, commits: ServerUnderTest.Commits?) -> [(String, String)] {
        let lost = report.expected - report.deliveries
        let perSecond = deliveriesPerSecond(report)
        var rows: [(String, String)] = [
            ("watchers' door", report.door.rawValue),
            ("watching sessions", String(report.watchers)),
            ("watchers connected", report.connectedOneAtATime ? "one at a time" : "as fast as accepted"),
            (
                "server RSS before / connected (KiB)",
                "\(report.rssBeforeKiB.map(String.init) ?? "n/a") / \(report.rssConnectedKiB.map(String.init) ?? "n/a")"
            ),
            (
                report.kibPerSessionByNode.isEmpty ? "server RSS per session (KiB)" : "RSS per session by node (KiB)",
                report.kibPerSessionByNode.isEmpty
                    ? number(report.kibPerSession)
                    : report.kibPerSessionByNode.map { number($0) }.joined(separator: " / ")
            ),
        ]
        if report.posts > 0 {
            rows += [
                ("posts", String(report.posts)),
                ("seconds", number(report.seconds)),
                ("deliveries / expected", "\(report.deliveries) / \(report.expected)"),
                ("lost deliveries", String(lost)),
                (
                    "posts refused / unanswered",
                    "\(report.refused.map(String.init) ?? "n/a") / \(report.unanswered.map(String.init) ?? "n/a")"
                ),
                ("watching connections closed", String(report.watchersClosed)),
                ("deliveries per second", String(Int(perSecond))),
                (
                    "latency p50 / p90 / p99 / max (ms)",
                    "\(number(report.latency.p50)) / \(number(report.latency.p90)) / \(number(report.latency.p99)) / \(number(report.latency.max))"
                ),
                (
                    "CPU µs per delivery: server / load",
                    "\(number(report.serverMicrosPerDelivery)) / \(number(report.loadMicrosPerDelivery))"
                ),
            ]
        }
        if let commits, report.posts > 0 { rows += commits.rows }
        if let flood = report.flood { rows += flood.rows }
        return rows
    }
}
