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

    /// What each post names besides its text.
    enum Mentions: String {
        /// Nothing: no mention or tag rows.
        case none
        /// Another poster and a tag: the mentioned account also gets a notification, stored on its own.
        case others
        /// Its own author and a tag: the mention and tag rows without a notification.
        case author = "self"
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
        Progress.say(
            "\(connections) posting connections ready on \(servers.count) node\(servers.count > 1 ? "s" : "")"
                + (mentions == .none
                    ? ""
                    : ", each post tagged and mentioning " + (mentions == .others ? "another poster" : "its author"))
                + "; posting for \(Int(duration)) s")
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
}
