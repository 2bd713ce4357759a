import Foundation
import MicroblogTestSupport
import Synchronization

/// `idle`, `fanout` and `burst`: N watching sessions, and one poster whose posts carry their send time.
struct FanoutScenario {
    /// The node posts go to; watchers are spread over it and `otherNodes`.
    let server: ServerUnderTest
    var otherNodes: [ServerUnderTest] = []
    let watchers: Int
    /// Posts per second; 0 for a burst (as fast as acknowledgements come).
    let rate: Double
    let posts: Int
    /// Posting connections (a burst uses several, so group commit and coalesced writes come into play).
    var posters = 1
    /// The door the watchers come in by; the posters always use the plain port.
    var door = Door.plain
    /// Each watcher greeted (its handshake done) before the next connects: the memory of sessions alone,
    /// without what the server's allocator keeps from many handshakes at once.
    var connectOneAtATime = false

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
        var kibPerSession: Double? {
            if !kibPerSessionByNode.isEmpty { return kibPerSessionByNode.max() }
            guard let before = rssBeforeKiB, let after = rssConnectedKiB, watchers > 0 else { return nil }
            return Double(after - before) / Double(watchers)
        }
    }

    /// Lines a burst sends before it waits: for microblogd's and Redis's acknowledgements of them, or,
    /// against the bare loop (which acknowledges nothing), until the watchers have received all but the
    /// last `unacknowledgedBatchesInFlight` batches.
    static let burstBatch = 50
    /// Batches a burst against the bare loop may have in flight: sent, but not yet received by every
    /// watcher. Few enough that the loop's sends (it has no output buffer) never meet a full socket
    /// buffer, enough that the watchers' reads take several lines at a time.
    static let unacknowledgedBatchesInFlight = 4

    /// Connects the watchers and measures memory; then, unless `posts` is 0, posts and measures delivery.
    func run() throws -> Report {
        var report = Report(door: door, connectedOneAtATime: connectOneAtATime, watchers: watchers)
        let kind = server.kind
        try warmUp()
        report.rssBeforeKiB = server.residentKiB
        let othersBefore = otherNodes.map(\.residentKiB)
        let descriptorsBefore = server.openDescriptors
        let group = try Watchers(door: door, kind: kind)
        Progress.say("opening \(watchers) watching connections (\(door.rawValue) door)")
        // Watchers spread evenly over the nodes; posts go to the first, so with several nodes most
        // deliveries cross from one node to another through the database's announcements.
        let nodes = [server] + otherNodes
        let shares = nodes.indices.map { watchers / nodes.count + ($0 < watchers % nodes.count ? 1 : 0) }
        for (index, node) in nodes.enumerated() {
            let share = shares[index]
            guard share > 0 else { continue }
            guard let port = node.port(for: door) else {
                throw BenchError(
                    "the server on port \(node.port) has no \(door.rawValue) door (--\(door.rawValue)-port)")
            }
            try group.open(
                count: share, host: node.host, port: port, timeout: 120, oneAtATime: connectOneAtATime)
        }
        if kind.subscribedOnConnect, let before = descriptorsBefore {
            // Nothing tells a watcher it is in, so wait until the server holds every connection.
            guard
                waitUntil(timeout: 60, { (server.openDescriptors ?? 0) >= before + watchers || !server.isRunning })
                    && server.isRunning
            else {
                throw BenchError("the \(kind.rawValue) server holds \(server.openDescriptors ?? 0) descriptors")
            }
        }
        // Let the server settle, then read its memory.
        for _ in 0..<10 { group.poll(timeoutMilliseconds: 50) }
        report.rssConnectedKiB = server.residentKiB
        if !otherNodes.isEmpty, let before = report.rssBeforeKiB, let after = report.rssConnectedKiB {
            // Each node's memory over the sessions it holds.
            let sessions =
                [(before, after, shares[0])]
                + zip(othersBefore, otherNodes.map(\.residentKiB)).enumerated().map {
                    ($1.0 ?? 0, $1.1 ?? 0, shares[$0 + 1])
                }
            report.kibPerSessionByNode = sessions.map { $0.2 > 0 ? Double($0.1 - $0.0) / Double($0.2) : 0 }
        }
        // Posts the greetings showed (a database shared with earlier runs holds posts with send times)
        // are not this run's deliveries.
        group.forgetDeliveries()
        guard posts > 0 else {
            report.watchersClosed = group.closed
            return report
        }

        let total = posts
        let perSecond = rate
        let done = DispatchGroup()
        let run = Int(Date().timeIntervalSince1970) % 100_000
        let share = (total + posters - 1) / posters
        let clients =
            kind == .microblogd
            ? try accountClients(posters, on: server, prefix: "b\(run)p", password: "bench-password")
            : try (0..<posters).map { _ in try BlockingClient(port: server.port, host: server.host) }
        let acknowledges = kind.acknowledges
        // What the watchers have received so far, for a burst paced by deliveries (the bare loop).
        let received = DeliveryCount()
        let watcherCount = watchers
        // After the posters' accounts, whose password hashes are no delivery's cost.
        let serverCPUBefore = server.cpuSeconds
        let loadCPUBefore = ServerUnderTest.ownCPUSeconds
        // The clock starts here too: the schedule of posts at a fixed rate, and the seconds of the
        // deliveries per second, do not include setting up the posters.
        let started = Date().timeIntervalSince1970
        for (index, poster) in clients.enumerated() {
            let mine = min(share, total - index * share)
            guard mine > 0 else { continue }
            done.enter()
            // Handed to the posting thread and, at a fixed rate, to the thread reading its acknowledgements:
            // one only sends, the other only reads, and sending touches nothing the reader keeps.
            nonisolated(unsafe) let poster = poster
            if perSecond > 0, let acknowledges {
                // At a fixed rate the load is open-loop: posts leave on schedule whatever the server's
                // acknowledgements do (another thread reads those), so a slow server shows as latency
                // instead of quietly lowering the rate.
                done.enter()
                Thread {
                    for _ in 0..<mine {
                        _ = try? poster.readUntil(deadline: Date().timeIntervalSince1970 + 30, acknowledges)
                    }
                    done.leave()
                }.start()
            }
            Thread {
                // Posts carry "t=" and the monotonic send time.
                let batch = perSecond > 0 ? 1 : Self.burstBatch
                var sent = 0
                while sent < mine {
                    let window = Self.unacknowledgedBatchesInFlight * batch
                    if perSecond == 0 && acknowledges == nil && sent >= window {
                        // No acknowledgements: a few batches in flight at most, so the loop's sends
                        // never meet a full socket buffer (it has none of its own) and the watchers'
                        // reading paces the burst.
                        guard received.wait(atLeast: (sent - window + batch) * watcherCount, timeout: 30) else {
                            Progress.say("  the watchers stopped receiving; \(mine - sent) posts not sent")
                            break
                        }
                    }
                    if perSecond > 0 {
                        let due = started + Double(sent) / perSecond
                        let wait = due - Date().timeIntervalSince1970
                        if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
                    }
                    let count = min(batch, mine - sent)
                    let lines = (0..<count).map { "t=\(Watchers.nowNanoseconds()) n=\(sent + $0)" }
                    poster.sendBytes(kind.postBytes(lines))
                    if perSecond == 0, let acknowledges {
                        // A burst waits for each batch's acknowledgements before the next.
                        for _ in 0..<count {
                            _ = try? poster.readUntil(deadline: Date().timeIntervalSince1970 + 30, acknowledges)
                        }
                    }
                    sent += count
                }
                done.leave()
            }.start()
        }

        report.expected = total * watchers
        var lastProgress = started
        var posterDone = false
        var drainDeadline = Double.infinity
        while group.deliveries < report.expected && Date().timeIntervalSince1970 < drainDeadline {
            group.poll(timeoutMilliseconds: 20)
            received.store(group.deliveries)
            if !posterDone && done.wait(timeout: .now()) == .success {
                posterDone = true
                drainDeadline = Date().timeIntervalSince1970 + 10
            }
            let now = Date().timeIntervalSince1970
            if now - lastProgress >= 5 {
                lastProgress = now
                Progress.say("  \(group.deliveries) of \(report.expected) deliveries")
            }
        }
        report.seconds = Date().timeIntervalSince1970 - started
        if let before = serverCPUBefore, let after = server.cpuSeconds { report.serverCPUSeconds = after - before }
        report.loadCPUSeconds = ServerUnderTest.ownCPUSeconds - loadCPUBefore
        report.posts = total
        report.deliveries = group.deliveries
        report.latency = Percentiles(group.latencies)
        report.watchersClosed = group.closed
        if group.closed > 0 {
            Progress.say("  \(group.closed) watching connections closed, e.g. \(group.closeReasons.first ?? "")")
        }
        return report
    }

    /// One session by the door, closed again, before the baseline is read: what the server sets up once,
    /// on first use (about 600 KiB here at the first TLS handshake, OpenSSL fetching its algorithms), is
    /// then not counted per session.
    private func warmUp() throws {
        guard let port = server.port(for: door) else { return }
        let one = try Watchers(door: door, kind: server.kind)
        try one.open(count: 1, host: server.host, port: port, timeout: 30)
        // The server closes the session when it reads the end of the stream; its close is the sign that
        // it has let go of the session.
        if !one.closeAndAwaitServer(timeout: 10) {
            Progress.say("  the server did not close the warm-up session within 10 s")
        }
    }

    static func print(
        _ report: Report, scenario: String, json: Bool, lifted: [String], commits: ServerUnderTest.Commits? = nil
    ) {
        let lost = report.expected - report.deliveries
        let perSecond = report.seconds > 0 ? Double(report.deliveries) / report.seconds : 0
        func number(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "null" }
        if json {
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
                    "\"deliveries_per_second\":\(Int(perSecond))", "\"p50_ms\":\(number(report.latency.p50))",
                    "\"p90_ms\":\(number(report.latency.p90))", "\"p99_ms\":\(number(report.latency.p99))",
                    "\"max_ms\":\(number(report.latency.max))",
                    "\"server_cpu_us_per_delivery\":\(number(report.serverMicrosPerDelivery))",
                    "\"load_cpu_us_per_delivery\":\(number(report.loadMicrosPerDelivery))",
                ]
            }
            if let commits, report.posts > 0 { fields.append(commits.jsonFields) }
            fields.append("\"lifted\":[\(lifted.map { "\"\($0)\"" }.joined(separator: ","))]")
            Swift.print("{" + fields.joined(separator: ",") + "}")
            return
        }
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
        for (name, value) in rows { Swift.print(name.padding(toLength: 38, withPad: " ", startingAt: 0) + value) }
    }
}

/// The deliveries the watchers' thread has counted, for posting threads that pace themselves by them.
final class DeliveryCount: Sendable {
    private let value = Atomic<Int>(0)

    func store(_ count: Int) { value.store(count, ordering: .releasing) }

    /// Waits until at least `count` deliveries are counted (looking every 100 µs, at most `timeout`
    /// seconds); whether they were.
    func wait(atLeast count: Int, timeout: Double) -> Bool {
        let deadline = Date().timeIntervalSince1970 + timeout
        while value.load(ordering: .acquiring) < count {
            guard Date().timeIntervalSince1970 < deadline else { return false }
            usleep(100)
        }
        return true
    }
}
