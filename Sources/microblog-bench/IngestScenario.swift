import Foundation
import MicroblogTestSupport
import Synchronization

/// `ingest`: C connections, each its own account, posting as fast as acknowledgements come (a window of
/// pipelined posts each), for a duration: acknowledged durable posts per second and acknowledgement
/// latency. With several servers (nodes on one PostgreSQL) the connections are dealt out over them in
/// turn, and the rate is the sum. With `mentions`, each post also mentions a posting account and carries a
/// tag, so the store writes a mention and a tag row beside each post. `login`: K logins at once, timed.
struct IngestScenario {
    let servers: [ServerUnderTest]
    let connections: Int
    let duration: Double
    var mentions = Mentions.none
    let window = 32
    /// When set, each connection keeps this many posts in flight, sending one more as each answer comes
    /// (a sliding window, as a bot posting as fast as it may), instead of `window` posts at a time.
    var inFlight: Int?
    /// Each connection switches to JSON mode first, as bots do, and reads JSON answers.
    var jsonMode = false

    /// What each post names besides its text.
    enum Mentions: String {
        /// Nothing: no mention or tag rows.
        case none
        /// Another poster and a tag: the mentioned account also gets a notification, stored on its own.
        case others
        /// Its own author and a tag: the mention and tag rows without a notification.
        case author = "self"
        /// A tag alone: the tag rows.
        case tag
        /// Its own author alone: the mention rows, without a notification.
        case mention
    }

    final class Tally: Sendable {
        let state = Mutex((acknowledged: 0, latencies: [Int](), failures: 0))
    }

    func run() throws -> (acknowledged: Int, seconds: Double, latency: Percentiles, failures: Int) {
        let tally = Tally()
        let group = DispatchGroup()
        let run = Int(Date().timeIntervalSince1970) % 100_000
        // Connection k goes to node k mod N; its account is named after its node and its place there.
        var clients: [BlockingClient] = []
        var names: [String] = []
        for (node, server) in servers.enumerated() {
            let count = connections / servers.count + (node < connections % servers.count ? 1 : 0)
            let prefix = "i\(run)n\(node)"
            clients += try accountClients(count, on: server, prefix: prefix, password: "ingest-password")
            names += (0..<count).map { "\(prefix)x\($0)" }
        }
        if jsonMode {
            for client in clients {
                client.send("/mode json")
                guard (try? client.readUntil(timeout: 30, { $0.hasPrefix(#"{"type":"ok","command":"mode""#) })) != nil
                else { throw BenchError("a posting connection did not switch to JSON mode") }
            }
        }
        let named =
            switch mentions {
            case .none: ""
            case .others: ", each post tagged and mentioning another poster"
            case .author: ", each post tagged and mentioning its author"
            case .tag: ", each post tagged"
            case .mention: ", each post mentioning its author"
            }
        Progress.say(
            "\(connections) posting connections ready on \(servers.count) node\(servers.count > 1 ? "s" : "")"
                + named + "; posting for \(Int(duration)) s")
        let started = Date().timeIntervalSince1970
        let deadline = started + duration
        for (index, client) in clients.enumerated() {
            group.enter()
            // Handed to its thread, which alone uses it from here on.
            nonisolated(unsafe) let client = client
            let entities =
                switch mentions {
                case .none: ""
                case .others: " @\(names[(index + 1) % names.count]) #ingest"
                case .author: " @\(names[index]) #ingest"
                case .tag: " #ingest"
                case .mention: " @\(names[index])"
                }
            if let inFlight {
                nonisolated(unsafe) let client = client
                let jsonMode = jsonMode
                Thread {
                    defer { group.leave() }
                    let result = Self.slide(
                        client, inFlight: inFlight, json: jsonMode, entities: entities, deadline: deadline)
                    tally.state.withLock {
                        $0.acknowledged += result.acknowledged
                        $0.latencies += result.latencies
                        $0.failures += result.failures
                    }
                }.start()
                continue
            }
            Thread { [window] in
                var number = 0
                while Date().timeIntervalSince1970 < deadline {
                    let sentAt = Watchers.nowNanoseconds()
                    let lines = (0..<window).map { "ingest \(number + $0) t=\(sentAt)\(entities)" }
                    number += window
                    guard client.sendBytes(Array((lines.joined(separator: "\n") + "\n").utf8)) else { break }
                    var acknowledged = 0
                    var latencies: [Int] = []
                    for _ in 0..<window {
                        guard
                            let line = try? client.readUntil(
                                deadline: Date().timeIntervalSince1970 + 30,
                                {
                                    $0.hasPrefix("* posted") || $0.hasPrefix("! ")
                                }
                            ).last
                        else { break }
                        if line.hasPrefix("* posted") {
                            acknowledged += 1
                            latencies.append((Watchers.nowNanoseconds() - sentAt) / 1000)
                        }
                    }
                    let failed = window - acknowledged
                    tally.state.withLock {
                        $0.acknowledged += acknowledged
                        $0.latencies += latencies
                        $0.failures += failed
                    }
                }
                group.leave()
            }.start()
        }
        group.wait()
        let seconds = Date().timeIntervalSince1970 - started
        return tally.state.withLock { ($0.acknowledged, seconds, Percentiles($0.latencies), $0.failures) }
    }

    /// One connection's sliding window until `deadline`: `inFlight` posts out, one more sent (in one write
    /// per read of answers) as each answer comes; then waits (at most 30 s) for the rest. Answers are
    /// counted from the raw bytes (an acknowledgement or an error per post, in order), so the generator
    /// stays cheap next to the server.
    static func slide(_ client: BlockingClient, inFlight: Int, json: Bool, entities: String, deadline: Double) -> (
        acknowledged: Int, latencies: [Int], failures: Int
    ) {
        let acknowledgement = Array((json ? #"{"type":"ok","command":"post""# : "* posted").utf8)
        let refusal = Array((json ? #"{"type":"error""# : "! ").utf8)
        var sentAt: [Int] = []  // send times of the posts in flight, oldest first
        var oldest = 0
        var number = 0
        var acknowledged = 0
        var failures = 0
        var latencies: [Int] = []
        latencies.reserveCapacity(1 << 16)
        func send(_ count: Int) -> Bool {
            let now = Watchers.nowNanoseconds()
            var bytes: [UInt8] = []
            for _ in 0..<count {
                bytes += Array("ingest \(number) t=\(now)\(entities)\n".utf8)
                number += 1
                sentAt.append(now)
            }
            return client.sendBytes(bytes)
        }
        guard send(inFlight) else { return (0, [], inFlight) }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let stopAt = deadline + 30
        while sentAt.count > oldest {
            if Date().timeIntervalSince1970 > stopAt { break }
            var pollFD = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollFD, 1, 1000) >= 0 else { break }
            if pollFD.revents == 0 { continue }
            let count = chunk.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            pending += chunk[0..<count]
            var answered = 0
            var start = 0
            while let newline = pending[start...].firstIndex(of: 10) {
                let line = pending[start..<newline]
                start = newline + 1
                if line.starts(with: acknowledgement) {
                    acknowledged += 1
                    latencies.append((Watchers.nowNanoseconds() - sentAt[oldest]) / 1000)
                } else if line.starts(with: refusal) {
                    failures += 1
                } else {
                    continue  // not an answer to a post (a notice)
                }
                oldest += 1
                answered += 1
            }
            pending.removeFirst(start)
            if oldest > 4096 {
                sentAt.removeFirst(oldest)
                oldest = 0
            }
            // Past the deadline no more are sent: the loop waits for the answers still due.
            if answered > 0 && Date().timeIntervalSince1970 < deadline {
                guard send(answered) else { break }
            }
        }
        failures += sentAt.count - oldest
        return (acknowledged, latencies, failures)
    }
}
