import Foundation
import Synchronization

/// Fills the server over the wire, as any member could (with the post rate the attack's server was given):
/// one account's posts and likes, sent in pipelined batches from a few sessions of it, until the count is
/// reached or the deadline passes. Run on the caller's thread, the sessions on Dispatch's workers.
enum Seeder {
    static let batch = 200
    static let sessions = 4

    /// Posts `count` posts as `account` (registered from `source` if new), each `text(index)`; the number
    /// acknowledged.
    static func posts(
        _ count: Int, account: String, password: String, target: AttackTarget, source: String, deadline: Date,
        text: @escaping @Sendable (Int) -> String
    ) throws -> Int {
        try run(count, account: account, password: password, target: target, source: source, deadline: deadline) {
            "/post " + text($0)
        }
    }

    /// Likes posts 1...`count` as `account`; the number liked.
    static func likes(
        _ count: Int, account: String, password: String, target: AttackTarget, source: String, deadline: Date
    ) throws -> Int {
        try run(count, account: account, password: password, target: target, source: source, deadline: deadline) {
            "/like \($0 + 1)"
        }
    }

    private static func run(
        _ count: Int, account: String, password: String, target: AttackTarget, source: String, deadline: Date,
        line: @escaping @Sendable (Int) -> String
    ) throws -> Int {
        guard count > 0 else { return 0 }
        let first = try WireSession(target: target, source: source)
        try first.registerOrLogIn(account, password: password)
        first.client.close()
        let done = Mutex(0)
        let failure = Mutex<String?>(nil)
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: sessions) { worker in
            do {
                let session = try WireSession(target: target, source: source)
                try session.logIn(account, password: password)
                var next = worker * batch
                while next < count && Date() < deadline {
                    let lines = (next..<min(count, next + batch)).map(line)
                    let replies = try session.pipeline(lines, timeout: max(1, deadline.timeIntervalSinceNow + 30))
                    let good = replies.filter(WireSession.isOK).count
                    if good < replies.count, let bad = replies.first(where: { !WireSession.isOK($0) }) {
                        failure.withLock { $0 = $0 ?? "\(bad)" }
                    }
                    done.withLock { $0 += good }
                    next += sessions * batch
                }
            } catch {
                failure.withLock { $0 = $0 ?? "\(error)" }
            }
        }
        let total = done.withLock { $0 }
        let what = line(0).split(separator: " ").first ?? ""
        print(
            "seeded \(total) of \(count) (\(what)) in " + String(format: "%.1f s", Date().timeIntervalSince(started))
                + (failure.withLock { $0 }.map { "; first refusal: \($0)" } ?? ""))
        fflush(nil)
        return total
    }
}
