import Foundation
import MicroblogTestSupport

/// `compare`: the fan-out scenarios one after another against microblogd, redis-server pub/sub (when
/// installed) and the bare broadcast loop, each server started fresh for each scenario and pinned to
/// `serverCPU`, with the same load generator (this process, pinned apart by its caller). The numbers
/// become one table per server and scenario and one table of ratios (see `ComparisonReport`).
struct Comparison {
    /// One row of the comparison: watchers, and posts at a rate (0: a burst; no posts: idle memory).
    struct Scenario: Sendable {
        let key: String
        let title: String
        let watchers: Int
        let rate: Double
        let posts: Int
        var isIdle: Bool { posts == 0 }
        var isBurst: Bool { posts > 0 && rate == 0 }
    }

    /// The scenarios of issue 16 at `watchers` (10,000 by default; scenario a has a tenth of them); f, as
    /// many watchers as one process here may hold (19,000 of its 20,000 descriptors) at 1 post/s, runs
    /// only when asked for (`--scenarios f`).
    static func scenarios(watchers: Int, burstPosts: Int) -> [Scenario] {
        let small = max(1, watchers / 10)
        return [
            Scenario(key: "a", title: "10 posts/s to \(small) watchers", watchers: small, rate: 10, posts: 100),
            Scenario(key: "b", title: "10 posts/s to \(watchers) watchers", watchers: watchers, rate: 10, posts: 100),
            Scenario(
                key: "c", title: "100 posts/s to \(watchers) watchers", watchers: watchers, rate: 100, posts: 1000),
            Scenario(
                key: "d", title: "burst of \(burstPosts) posts to \(watchers) watchers", watchers: watchers, rate: 0,
                posts: burstPosts),
            Scenario(key: "e", title: "\(watchers) idle watching sessions", watchers: watchers, rate: 0, posts: 0),
            Scenario(key: "f", title: "1 post/s to \(maxWatchers) watchers", watchers: maxWatchers, rate: 1, posts: 30),
        ]
    }

    /// Watchers for scenario f: one process may hold 20,000 descriptors here, and the server needs some
    /// of its own (listening sockets, the database, the log).
    static let maxWatchers = 19_000

    /// One server's run of one scenario: its report, or why there is none.
    struct Result {
        let scenario: Scenario
        let kind: ServerKind
        /// Which round of the scenario (`rounds`), from 0.
        var round = 0
        var report: FanoutScenario.Report?
        var failure: String?
        var serverExit: Int32?

        var lost: Int? { report.map { $0.expected - $0.deliveries } }
    }

    let microblogdBinary: String
    let serverCPU: Int?
    let scenarios: [Scenario]
    /// Posting connections in a burst against microblogd and Redis (against the bare loop one: every
    /// other poster would receive each post too).
    let burstPosters: Int
    /// Where redis-server is, nil when it is not installed (then it is skipped).
    let redisBinary: String?
    /// Runs of each scenario on every server (`--repeat`): a round runs every server once, each round
    /// starting with the next server, so that none always goes first. The ratios are then taken
    /// within each round, minutes apart at most, and their median reported.
    var rounds = 1

    var kinds: [ServerKind] { redisBinary == nil ? [.microblogd, .bareLoop] : ServerKind.allCases }

    func run() -> [Result] {
        var results: [Result] = []
        for scenario in scenarios {
            for round in 0..<rounds {
                let start = round % kinds.count
                for kind in kinds[start...] + kinds[..<start] {
                    let which = rounds > 1 ? " (round \(round + 1) of \(rounds))" : ""
                    Progress.say("\(scenario.key): \(scenario.title), \(kind.rawValue)\(which)")
                    var result = run(scenario, on: kind)
                    result.round = round
                    results.append(result)
                }
            }
        }
        return results
    }

    private func run(_ scenario: Scenario, on kind: ServerKind) -> Result {
        var result = Result(scenario: scenario, kind: kind)
        let server: ServerUnderTest
        do {
            switch kind {
            case .microblogd:
                server = try ServerUnderTest(
                    binary: microblogdBinary, limits: ServerUnderTest.liftedForLoad, cpu: serverCPU)
            case .redis: server = try PeerServers.startRedis(binary: redisBinary ?? "redis-server", cpu: serverCPU)
            case .bareLoop: server = try PeerServers.startBareLoop(cpu: serverCPU)
            }
        } catch {
            result.failure = "could not start: \(error)"
            Progress.say("  \(result.failure ?? "")")
            return result
        }
        var fanout = FanoutScenario(
            server: server, watchers: scenario.watchers, rate: scenario.rate, posts: scenario.posts)
        fanout.posters = scenario.isBurst && kind != .bareLoop ? burstPosters : 1
        do {
            result.report = try fanout.run()
        } catch {
            result.failure = "\(error)"
            Progress.say("  \(kind.rawValue): \(error)")
        }
        result.serverExit = server.stop()
        return result
    }
}
