import Foundation
import MicroblogTestSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The limits every attack's server is started with beyond its defaults: posting fast enough for the
/// probe (a post every 100 ms) and nothing else.
let probePostRate = ["--post-rate", "20", "--post-burst", "20"]

/// The limits lifted while seeding, on a first server of the same database: the seeders post and like
/// as fast as the server acknowledges. The attack itself then meets the default limits.
let seedingLimits = [
    "--post-rate", "0", "--command-rate", "0", "--command-burst", "0", "--register-rate", "0", "--password-checks", "0",
]

/// One account with a large history (`posts` long posts and `likes` likes, seeded over the wire), then
/// `exporters` connections from one address log in as it, send `/export` and never read (64 KiB receive
/// buffers), until the phase ends: what the server buffers for them shows in its memory.
struct ExportAttack: Attack {
    let posts: Int
    let likes: Int
    let exporters: Int
    let seedSeconds: Double
    static let account = "hoarder"
    static let password = "hoarder-password-1"

    var needs: AttackNeeds { AttackNeeds(limits: probePostRate, seedLimits: seedingLimits) }

    func prepare(target: AttackTarget) throws {
        let deadline = Date().addingTimeInterval(seedSeconds)
        let filler = String(repeating: "export filler text ", count: 15)
        _ = try Seeder.posts(
            posts, account: Self.account, password: Self.password, target: target, source: "127.0.10.1",
            deadline: deadline
        ) { index in String(("post \(index) " + filler).prefix(280)) }
        _ = try Seeder.likes(
            min(likes, posts), account: Self.account, password: Self.password, target: target, source: "127.0.10.1",
            deadline: deadline)
    }

    func start(phase: Int, target: AttackTarget, run: AttackRun) {
        for _ in 0..<max(1, exporters) {
            run.spawn {
                do {
                    let session = try WireSession(target: target, source: "127.0.10.2", receiveBuffer: 65536)
                    try session.logIn(Self.account, password: Self.password)
                    session.client.send("/export")
                    run.count("exports asked, never read")
                    while run.shouldRun { run.pause(0.2) }
                    session.client.close()
                } catch {
                    run.count("exporter failed: " + "\(error)".prefix(60))
                }
            }
        }
    }
}

/// `posts` posts of ordinary words seeded, then guest connections (from 4 addresses) looping searches
/// that are expensive to answer: 4,000 `x`, sixteen 4-letter words that match nothing, and `日本` (a
/// scan of the newest posts); one phase per connection count.
struct SearchAttack: Attack {
    let posts: Int
    let connectionCounts: [Int]
    let seedSeconds: Double

    var needs: AttackNeeds { AttackNeeds(limits: probePostRate, seedLimits: seedingLimits) }
    var phases: [String] { connectionCounts.map { "search x\($0)" } }

    static let queries = [
        "/search " + String(repeating: "x", count: 4000),
        "/search qzxj vqjx zjqv xqzj jvxq qjzx zxqj jqxv vxzq qvjz xjvq zqjv jxzv vzxj xvqz jzvq",
        "/search 日本",
    ]

    func prepare(target: AttackTarget) throws {
        let syllables = ["ba", "ce", "di", "fo", "gu", "ha", "le", "mi", "no", "pu", "ra", "se", "ti", "vo", "wu"]
        _ = try Seeder.posts(
            posts, account: "chatter", password: "chatter-password-1", target: target, source: "127.0.10.1",
            deadline: Date().addingTimeInterval(seedSeconds)
        ) { index in
            var random = SplitMix64(seed: UInt64(index))
            return (0..<12).map { _ in
                (0..<(2 + random.below(3))).map { _ in syllables[random.below(syllables.count)] }.joined()
            }.joined(separator: " ")
        }
    }

    func start(phase: Int, target: AttackTarget, run: AttackRun) {
        let sources = AttackTarget.attackerAddresses(4)
        for index in 0..<connectionCounts[phase] {
            run.spawn {
                do {
                    let session = try WireSession(target: target, source: sources[index % sources.count])
                    var next = index
                    while run.shouldRun {
                        let reply = try session.command(Self.queries[next % Self.queries.count], timeout: 60)
                        run.count("searches " + WireSession.outcome(reply))
                        next += 1
                    }
                } catch {
                    run.count("searcher failed: " + "\(error)".prefix(60))
                }
            }
        }
    }
}

/// A victim with one post; `accounts` accounts (one per address), `sessions` connections each, loop
/// `/like`, `/unlike`, `/follow`, `/unfollow` on it; the victim's own session counts the notifications
/// it receives.
final class NotifySpamAttack: Attack {
    let accounts: Int
    let sessions: Int
    private let postID = Mutex(0)
    static let victim = "victim"
    static let password = "spam-password-1"

    init(accounts: Int, sessions: Int) {
        self.accounts = max(1, accounts)
        self.sessions = max(1, sessions)
    }

    var needs: AttackNeeds { AttackNeeds(limits: probePostRate) }

    func prepare(target: AttackTarget) throws {
        let victim = try WireSession(target: target, source: "127.0.10.9")
        try victim.registerOrLogIn(Self.victim, password: Self.password)
        let posted = try victim.command("a post of mine that strangers will like")
        guard let id = posted["id"] as? Int else { throw BenchError("the victim could not post: \(posted)") }
        postID.withLock { $0 = id }
        for account in 0..<accounts {
            let session = try WireSession(target: target, source: "127.0.10.\(account % 8 + 1)")
            try session.registerOrLogIn("spammer\(account)", password: Self.password)
        }
    }

    func start(phase: Int, target: AttackTarget, run: AttackRun) {
        let id = postID.withLock { $0 }
        run.spawn {
            do {
                let victim = try WireSession(target: target, source: "127.0.10.9")
                try victim.logIn(Self.victim, password: Self.password)
                while run.shouldRun {
                    guard let object = try? victim.client.readJSON(timeout: 0.2) else { continue }
                    if object["type"] as? String == "notification" { run.count("victim notifications") }
                }
            } catch {
                run.count("victim failed: " + "\(error)".prefix(60))
            }
        }
        let lines = ["/like \(id)", "/unlike \(id)", "/follow \(Self.victim)", "/unfollow \(Self.victim)"]
        for account in 0..<accounts {
            for _ in 0..<sessions {
                run.spawn {
                    do {
                        let session = try WireSession(target: target, source: "127.0.10.\(account % 8 + 1)")
                        try session.logIn("spammer\(account)", password: Self.password)
                        while run.shouldRun {
                            for reply in try session.pipeline(lines) {
                                run.count("\(reply["command"] as? String ?? "?") " + WireSession.outcome(reply))
                            }
                        }
                    } catch {
                        run.count("spammer failed: " + "\(error)".prefix(60))
                    }
                }
            }
        }
    }
}
