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
    /// A burst whose posters write all their posts back-to-back in one write, without waiting for any
    /// acknowledgement (another thread reads those): the server, not the round trip, sets the pace.
    var pipelined = false
    /// The door the watchers come in by; the posters always use the plain port.
    var door = Door.plain
    /// The watchers switch to JSON mode once in (microblogd's plain and TLS doors).
    var jsonMode = false
    /// Each watcher greeted (its handshake done) before the next connects: the memory of sessions alone,
    /// without what the server's allocator keeps from many handshakes at once.
    var connectOneAtATime = false
    /// At a fixed rate: an attacker flooding a secure door and an honest client logging in while the posts
    /// go out (`--flood`); nil for neither.
    var flood: FanoutFlood?

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
        try warmUp()
        report.rssBeforeKiB = server.residentKiB
        let othersBefore = otherNodes.map(\.residentKiB)
        let descriptorsBefore = server.openDescriptors
        let group = try Watchers(door: door, kind: server.kind, jsonMode: jsonMode)
        let shares = try openWatchers(group)
        try awaitSubscriptions(descriptorsBefore: descriptorsBefore)
        measureConnectedMemory(group, shares: shares, othersBefore: othersBefore, into: &report)
        // Posts the greetings showed (a database shared with earlier runs holds posts with send times)
        // are not this run's deliveries.
        group.forgetDeliveries()
        guard posts > 0 else {
            report.watchersClosed = group.closed
            return report
        }
        let floodAccount = try flood.map { try $0.prepare(on: server) }
        let posting = try startPosting()
        // From the first post to the last delivery; bounded by the posting's schedule, the 10 s the
        // collection may drain, and a margin.
        let flooding = flood.map {
            $0.start(
                on: server, account: floodAccount ?? "", maximumSeconds: Double(posts) / max(rate, 1) + 10 + 30)
        }
        report.expected = posts * watchers
        collect(group, posting: posting, expected: report.expected)
        finishReport(&report, group: group, posting: posting)
        report.flood = flooding?.stop()
        return report
    }

    /// Opens the watchers, spread evenly over the nodes; returns each node's share. Posts go to the first,
    /// so with several nodes most deliveries cross from one node to another through the database's
    /// announcements.
    private func openWatchers(_ group: Watchers) throws -> [Int] {
        Progress.say("opening \(watchers) watching connections (\(door.rawValue) door)")
        let nodes = [server] + otherNodes
        let shares = nodes.indices.map { watchers / nodes.count + ($0 < watchers % nodes.count ? 1 : 0) }
        for (index, node) in nodes.enumerated() {
            let share = shares[index]
            guard share > 0 else { continue }
            guard let port = node.port(for: door) else {
                let option = door == .web ? "--http-port" : "--\(door.rawValue)-port"
                throw BenchError("the server on port \(node.port) has no \(door.rawValue) door (\(option))")
            }
            try group.open(
                count: share, host: node.host, port: port, timeout: 120, oneAtATime: connectOneAtATime)
        }
        return shares
    }

    /// For a server that subscribes on connect: nothing tells a watcher it is in, so waits until the server
    /// holds every connection.
    private func awaitSubscriptions(descriptorsBefore: Int?) throws {
        let kind = server.kind
        guard kind.subscribedOnConnect, let before = descriptorsBefore else { return }
        guard
            waitUntil(timeout: 60, { (server.openDescriptors ?? 0) >= before + watchers || !server.isRunning })
                && server.isRunning
        else {
            throw BenchError("the \(kind.rawValue) server holds \(server.openDescriptors ?? 0) descriptors")
        }
    }

    /// Lets the server settle, then reads its memory, and with several nodes each node's memory over the
    /// sessions it holds.
    private func measureConnectedMemory(
        _ group: Watchers, shares: [Int], othersBefore: [Int?], into report: inout Report
    ) {
        for _ in 0..<10 { group.poll(timeoutMilliseconds: 50) }
        report.rssConnectedKiB = server.residentKiB
        if !otherNodes.isEmpty, let before = report.rssBeforeKiB, let after = report.rssConnectedKiB {
            let sessions =
                [(before, after, shares[0])]
                + zip(othersBefore, otherNodes.map(\.residentKiB)).enumerated().map {
                    ($1.0 ?? 0, $1.1 ?? 0, shares[$0 + 1])
                }
            report.kibPerSessionByNode = sessions.map { $0.2 > 0 ? Double($0.1 - $0.0) / Double($0.2) : 0 }
        }
    }

    /// The posting under way: when it started, what it has left to do, and the CPU readings before it.
    private struct Posting {
        /// Left by every posting thread (and acknowledgement reader) when done.
        let done: DispatchGroup
        /// What the watchers have received so far, for a burst paced by deliveries (the bare loop).
        let received: DeliveryCount
        /// The servers' answers to the posts, as read so far.
        let replies: PostReplies
        let started: Double
        let serverCPUBefore: Double?
        let loadCPUBefore: Double
    }

    /// What each posting thread needs to pace itself, and nothing of the scenario it cannot share.
    private struct Pacing: Sendable {
        let kind: ServerKind
        /// Posts per second; 0 for a burst.
        let perSecond: Double
        /// All posts in one write, none waited for (`FanoutScenario.pipelined`).
        let pipelined: Bool
        let watchers: Int
        let started: Double
        let received: DeliveryCount
        let replies: PostReplies
    }

    /// Connects the posters and starts a thread per poster (and, at a fixed rate or pipelined, one reading
    /// its acknowledgements); the clock starts once they are set up.
    private func startPosting() throws -> Posting {
        let kind = server.kind
        let total = posts
        let done = DispatchGroup()
        let run = Int(Date().timeIntervalSince1970) % 100_000
        let share = (total + posters - 1) / posters
        let clients =
            kind == .microblogd
            ? try accountClients(posters, on: server, prefix: "b\(run)p", password: "bench-password")
            : try (0..<posters).map { _ in try BlockingClient(port: server.port, host: server.host) }
        let received = DeliveryCount()
        let replies = PostReplies()
        if pipelined {
            // A pipeline's one write must not block for ever when the server stops reading: after this
            // long without progress the send fails and the posts left are counted unanswered.
            for poster in clients { Self.limitSendWait(of: poster, seconds: PostReplies.replyTimeout) }
        }
        // After the posters' accounts, whose password hashes are no delivery's cost.
        let serverCPUBefore = server.cpuSeconds
        let loadCPUBefore = ServerUnderTest.ownCPUSeconds
        // The clock starts here too: the schedule of posts at a fixed rate, and the seconds of the
        // deliveries per second, do not include setting up the posters.
        let started = Date().timeIntervalSince1970
        let pacing = Pacing(
            kind: kind, perSecond: rate, pipelined: pipelined, watchers: watchers, started: started,
            received: received, replies: replies)
        for (index, poster) in clients.enumerated() {
            let mine = min(share, total - index * share)
            guard mine > 0 else { continue }
            done.enter()
            // Handed to the posting thread and, at a fixed rate or pipelined, to the thread reading its
            // acknowledgements: one only sends, the other only reads, and sending touches nothing the
            // reader keeps.
            nonisolated(unsafe) let poster = poster
            if pacing.perSecond > 0 || pacing.pipelined, kind.answersPosts {
                // At a fixed rate the load is open-loop: posts leave on schedule whatever the server's
                // acknowledgements do (another thread reads those), so a slow server shows as latency
                // instead of quietly lowering the rate. A pipeline does not wait for them either.
                done.enter()
                Thread {
                    if !replies.read(mine, from: poster, kind: kind) {
                        Progress.say("  a poster stopped waiting for its acknowledgements")
                    }
                    done.leave()
                }.start()
            }
            Thread {
                Self.post(mine, by: poster, pacing: pacing)
                done.leave()
            }.start()
        }
        return Posting(
            done: done, received: received, replies: replies, started: started, serverCPUBefore: serverCPUBefore,
            loadCPUBefore: loadCPUBefore)
    }

    /// One poster's `count` posts, which carry "t=" and the monotonic send time: at the fixed rate, as
    /// a burst of batches, each waiting for the last one's acknowledgements (or, against the bare loop,
    /// for the watchers to receive all but a few batches), or pipelined: all in one write.
    private static func post(_ count: Int, by poster: BlockingClient, pacing: Pacing) {
        if pacing.pipelined {
            // The send times are taken as the lines are made, just before the write.
            let lines = (0..<count).map { "t=\(Watchers.nowNanoseconds()) n=\($0)" }
            if !poster.sendBytes(pacing.kind.postBytes(lines)) {
                Progress.say("  the pipelined posts were not all sent (the server stopped reading, or closed)")
            }
            return
        }
        let perSecond = pacing.perSecond
        let answers = pacing.kind.answersPosts
        let batch = perSecond > 0 ? 1 : Self.burstBatch
        var sent = 0
        while sent < count {
            let window = Self.unacknowledgedBatchesInFlight * batch
            if perSecond == 0 && !answers && sent >= window {
                // No acknowledgements: a few batches in flight at most, so the loop's sends
                // never meet a full socket buffer (it has none of its own) and the watchers'
                // reading paces the burst.
                guard pacing.received.wait(atLeast: (sent - window + batch) * pacing.watchers, timeout: 30) else {
                    Progress.say("  the watchers stopped receiving; \(count - sent) posts not sent")
                    break
                }
            }
            if perSecond > 0 {
                let due = pacing.started + Double(sent) / perSecond
                let wait = due - Date().timeIntervalSince1970
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            }
            let lines = (0..<min(batch, count - sent)).map { "t=\(Watchers.nowNanoseconds()) n=\(sent + $0)" }
            poster.sendBytes(pacing.kind.postBytes(lines))
            sent += lines.count
            // A burst waits for each batch's acknowledgements before the next.
            if perSecond == 0 && answers && !pacing.replies.read(lines.count, from: poster, kind: pacing.kind) {
                Progress.say("  a poster stopped waiting for its acknowledgements; \(count - sent) posts not sent")
                break
            }
        }
    }

    /// Makes a send on `client`'s socket fail after `seconds` without progress (SO_SNDTIMEO).
    private static func limitSendWait(of client: BlockingClient, seconds: Double) {
        var limit = timeval(tv_sec: Int(seconds), tv_usec: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads the watchers until every delivery is in, or 10 seconds after the posters are done.
    private func collect(_ group: Watchers, posting: Posting, expected: Int) {
        var lastProgress = posting.started
        var posterDone = false
        var drainDeadline = Double.infinity
        while group.deliveries < expected && Date().timeIntervalSince1970 < drainDeadline {
            group.poll(timeoutMilliseconds: 20)
            posting.received.store(group.deliveries)
            if !posterDone && posting.done.wait(timeout: .now()) == .success {
                posterDone = true
                drainDeadline = Date().timeIntervalSince1970 + 10
            }
            let now = Date().timeIntervalSince1970
            if now - lastProgress >= 5 {
                lastProgress = now
                Progress.say("  \(group.deliveries) of \(expected) deliveries")
            }
        }
    }

    /// The run's figures: time, CPU on both sides, deliveries and their latency, watchers closed.
    private func finishReport(_ report: inout Report, group: Watchers, posting: Posting) {
        report.seconds = Date().timeIntervalSince1970 - posting.started
        if let before = posting.serverCPUBefore, let after = server.cpuSeconds {
            report.serverCPUSeconds = after - before
        }
        report.loadCPUSeconds = ServerUnderTest.ownCPUSeconds - posting.loadCPUBefore
        report.posts = posts
        report.deliveries = group.deliveries
        if server.kind.answersPosts {
            // The acknowledgements are read by the posting threads, which may still be at it when the
            // deliveries are in; each gives up on its own after `PostReplies.replyTimeout`.
            if posting.done.wait(timeout: .now() + PostReplies.replyTimeout + 5) == .timedOut {
                Progress.say("  the posting threads are still waiting for acknowledgements")
            }
            report.refused = posting.replies.refused
            report.unanswered = posts - posting.replies.accepted - posting.replies.refused
        }
        report.latency = Percentiles(group.latencies)
        report.watchersClosed = group.closed
        if group.closed > 0 {
            Progress.say("  \(group.closed) watching connections closed, e.g. \(group.closeReasons.first ?? "")")
        }
    }

    /// One session by the door, closed again, before the baseline is read: what the server sets up once,
    /// on first use (about 600 KiB here at the first TLS handshake, OpenSSL fetching its algorithms), is
    /// then not counted per session.
    private func warmUp() throws {
        guard let port = server.port(for: door) else { return }
        let one = try Watchers(door: door, kind: server.kind)
        try one.open(count: 1, host: server.host, port: port, timeout: 30)
        // A web stream with nothing to send is suspended in libmicrohttpd, which then does not watch its
        // socket: the server sees the client leave only at its next write (a post, or the keep-alive
        // comment every 25 s). Closed (when `one` goes) without waiting; one stream's memory is nothing
        // beside thousands.
        guard door != .web else { return }
        // The server closes the session when it reads the end of the stream; its close is the sign that
        // it has let go of the session.
        if !one.closeAndAwaitServer(timeout: 10) {
            Progress.say("  the server did not close the warm-up session within 10 s")
        }
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
