import Foundation
import MicroblogTestSupport
import Synchronization

/// `ingest`: C connections, each its own account, posting as fast as acknowledgements come (a window of
/// pipelined posts each), for a duration: acknowledged durable posts per second and acknowledgement
/// latency. `login`: K logins at once, timed.
struct IngestScenario {
    let server: ServerUnderTest
    let connections: Int
    let duration: Double
    let window = 32

    final class Tally: Sendable {
        let state = Mutex((acknowledged: 0, latencies: [Int](), failures: 0))
    }

    func run() throws -> (acknowledged: Int, seconds: Double, latency: Percentiles, failures: Int) {
        let tally = Tally()
        let group = DispatchGroup()
        let run = Int(Date().timeIntervalSince1970) % 100_000
        let clients = try accountClients(connections, on: server, prefix: "i\(run)", password: "ingest-password")
        Progress.say("\(connections) posting connections ready; posting for \(Int(duration)) s")
        let started = Date().timeIntervalSince1970
        let deadline = started + duration
        for client in clients {
            group.enter()
            // Handed to its thread, which alone uses it from here on.
            nonisolated(unsafe) let client = client
            Thread { [window] in
                var number = 0
                while Date().timeIntervalSince1970 < deadline {
                    let sentAt = Watchers.nowNanoseconds()
                    let lines = (0..<window).map { "ingest \(number + $0) t=\(sentAt)" }
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
