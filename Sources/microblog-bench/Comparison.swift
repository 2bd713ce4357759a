import Foundation
import MicroblogTestSupport

/// `compare`: the fan-out scenarios one after another against microblogd, redis-server pub/sub (when
/// installed) and the bare broadcast loop, each server started fresh for each scenario and pinned to
/// `serverCPU`, with the same load generator (this process, pinned apart by its caller). microblogd runs
/// once for each of `doors` (its watchers come in by that door; the peers have only the plain one). The
/// numbers become one table per server and scenario and one table of ratios (see `ComparisonReport`).
struct Comparison {
    /// One row of the comparison: watchers, and posts at a rate (0: a burst; no posts: idle memory).
    struct Scenario: Sendable {
        let key: String
        let title: String
        let watchers: Int
        let rate: Double
        let posts: Int
        /// A burst from one connection that writes all its posts at once (`FanoutScenario.pipelined`).
        var pipelined = false
        var isIdle: Bool { posts == 0 }
        var isBurst: Bool { posts > 0 && rate == 0 }
    }

    /// The scenarios of issue 16 at `watchers` (10,000 by default; scenario a has a tenth of them); f, as
    /// many watchers as one process here may hold (19,000 of its 20,000 descriptors) at 1 post/s, runs
    /// only when asked for (`--scenarios f`). g (issue 27) is d's burst from one client that pipelines
    /// `pipelinedPosts` posts instead of waiting for each batch's acknowledgements.
    static func scenarios(watchers: Int, burstPosts: Int, pipelinedPosts: Int) -> [Scenario] {
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
            Scenario(
                key: "g", title: "\(pipelinedPosts) posts pipelined by one client to \(watchers) watchers",
                watchers: watchers, rate: 0, posts: pipelinedPosts, pipelined: true),
        ]
    }

    /// The scenarios run when `--scenarios` does not say: all but f.
    static let defaultKeys = ["a", "b", "c", "d", "e", "g"]

    /// Watchers for scenario f: one process may hold 20,000 descriptors here, and the server needs some
    /// of its own (listening sockets, the database, the log).
    static let maxWatchers = 19_000

    /// One server's run of one scenario: its report, or why there is none.
    struct Result {
        let scenario: Scenario
        let kind: ServerKind
        /// The door microblogd's watchers came in by (the peers': plain).
        var door = Door.plain
        /// Which round of the scenario (`rounds`), from 0.
        var round = 0
        var report: FanoutScenario.Report?
        var failure: String?
        var serverExit: Int32?

        var lost: Int? { report.map { $0.expected - $0.deliveries } }
        /// Posts refused or not acknowledged; nil for a server that acknowledges nothing.
        var unacknowledged: Int? {
            guard let refused = report?.refused, let unanswered = report?.unanswered else { return nil }
            return refused + unanswered
        }
        /// Whether nothing went wrong: every post acknowledged and delivered, no watcher closed, a clean exit.
        var isClean: Bool {
            report != nil && lost == 0 && (unacknowledged ?? 0) == 0 && report?.watchersClosed == 0
                && (serverExit ?? 0) == 0
        }
    }

    let microblogdBinary: String
    let serverCPU: Int?
    let scenarios: [Scenario]
    /// Posting connections in a burst (d) against microblogd and Redis (against the bare loop one: every
    /// other poster would receive each post too). The pipelined burst (g) has one everywhere.
    let burstPosters: Int
    /// Where redis-server is, nil when it is not installed (then it is skipped).
    let redisBinary: String?
    /// The doors microblogd's watchers come in by, one run of microblogd each (`--doors`).
    var doors: [Door] = [.plain]
    /// Runs of each scenario on every server (`--repeat`): a round runs every server once, each round
    /// starting with the next server, so that none always goes first. The ratios are then taken
    /// within each round, minutes apart at most, and their median reported.
    var rounds = 1

    var kinds: [ServerKind] { redisBinary == nil ? [.microblogd, .bareLoop] : ServerKind.allCases }

    /// Each run of a round: microblogd once per door, then the peers by the plain door.
    var runs: [(kind: ServerKind, door: Door)] {
        kinds.flatMap { kind in kind == .microblogd ? doors.map { (kind, $0) } : [(kind, Door.plain)] }
    }

    func run() -> [Result] {
        var results: [Result] = []
        let runs = runs
        for scenario in scenarios {
            for round in 0..<rounds {
                let start = round % runs.count
                for (kind, door) in runs[start...] + runs[..<start] {
                    let which = rounds > 1 ? " (round \(round + 1) of \(rounds))" : ""
                    let name =
                        kind.rawValue + (kind == .microblogd && doors != [.plain] ? ", \(door.rawValue) door" : "")
                    Progress.say("\(scenario.key): \(scenario.title), \(name)\(which)")
                    var result = run(scenario, on: kind, door: door)
                    result.round = round
                    results.append(result)
                }
            }
        }
        return results
    }

    private func run(_ scenario: Scenario, on kind: ServerKind, door: Door) -> Result {
        var result = Result(scenario: scenario, kind: kind, door: door)
        let server: ServerUnderTest
        do {
            switch kind {
            case .microblogd:
                // A new throw-away certificate for each TLS run; the watchers verify nothing about it.
                server = try ServerUnderTest(
                    binary: microblogdBinary, limits: ServerUnderTest.liftedForLoad, cpu: serverCPU,
                    tls: door == .tls ? try ThrowawayCertificate() : nil, ssh: door == .ssh, web: door == .web)
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
        fanout.posters = scenario.isBurst && !scenario.pipelined && kind != .bareLoop ? burstPosters : 1
        fanout.pipelined = scenario.pipelined
        fanout.door = door
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
