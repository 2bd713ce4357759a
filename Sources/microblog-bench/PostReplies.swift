import Foundation
import MicroblogTestSupport
import Synchronization

/// The answers the posters have read, counted by the threads that read them: posts accepted and posts
/// refused (a rate limit, an error). A post with neither was not acknowledged: no answer came within
/// `replyTimeout`, or its poster gave up before sending it. A refused or unanswered post is a failure of
/// the run, never a post that quietly did not happen.
final class PostReplies: Sendable {
    private let acceptedCount = Atomic<Int>(0)
    private let refusedCount = Atomic<Int>(0)

    /// Seconds a poster waits for the next answer before it counts the rest of its posts as unanswered.
    static let replyTimeout: Double = 30

    var accepted: Int { acceptedCount.load(ordering: .acquiring) }
    var refused: Int { refusedCount.load(ordering: .acquiring) }

    /// Reads the answers to `count` posts from `poster`, each within `replyTimeout` of the one before;
    /// false when it stopped early (no answer in time, or the connection closed). Lines that answer no
    /// post (a wrapped error's continuation) do not extend the wait. The first refusal is printed.
    @discardableResult
    func read(_ count: Int, from poster: BlockingClient, kind: ServerKind) -> Bool {
        var answered = 0
        var deadline = Date().timeIntervalSince1970 + Self.replyTimeout
        while answered < count {
            guard let line = try? poster.readLine(deadline: deadline) else { return false }
            switch kind.postAnswer(line) {
            case .accepted:
                acceptedCount.wrappingAdd(1, ordering: .releasing)
            case .refused:
                if refusedCount.wrappingAdd(1, ordering: .releasing).oldValue == 0 {
                    Progress.say("  a post was refused: \(line)")
                }
            case nil:
                continue
            }
            answered += 1
            deadline = Date().timeIntervalSince1970 + Self.replyTimeout
        }
        return true
    }
}
