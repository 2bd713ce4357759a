import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// The promise that a waiting command's reply comes, and comes once. A command that must wait for
/// storage or hashing takes one (`Microblog.waiting`): its session runs no further line until
/// `finish()`. Confined to the server queue, but for its `deinit`, which may run wherever the last
/// closure holding it is released (a storage completion can be released on the storage queue).
///
/// Finishing twice does nothing more (and is reported); a reply dropped unfinished is reported and
/// then finished as `abandoned` on the server queue, so a forgotten path cannot leave its session
/// stuck forever. Reports go to `misuse`, an assertion failure by default (so debug builds stop there
/// and release builds carry on).
final class CommandReply {
    enum Misuse: Equatable {
        case finishedTwice
        case droppedUnfinished
    }

    /// The command whose reply is awaited; nil for a wait no client asked for (greeting, rate limit).
    let command: String?
    private let queue: DispatchQueue
    private let misuse: (Misuse, String?) -> Void
    /// Ends the wait; `abandoned` when the reply was dropped unfinished. Nil once called.
    private var end: ((_ abandoned: Bool) -> Void)?

    init(
        command: String?, queue: DispatchQueue, misuse: @escaping (Misuse, String?) -> Void = CommandReply.assertion,
        end: @escaping (_ abandoned: Bool) -> Void
    ) {
        self.command = command
        self.queue = queue
        self.misuse = misuse
        self.end = end
    }

    var isFinished: Bool { end == nil }

    /// Ends the wait: the session runs its next line. Call it after the command's last reply.
    func finish() {
        queue.checkConfined()
        guard let end else { return misuse(.finishedTwice, command) }
        self.end = nil
        end(false)
    }

    deinit {
        guard let end else { return }
        misuse(.droppedUnfinished, command)
        // The session and everything `end` captures belong to the server queue: run it there.
        let callback = OwnerCallback<Void>(on: queue) { _ in end(true) }
        queue.async { callback.call(()) }
    }

    static func assertion(_ misuse: Misuse, _ command: String?) {
        assertionFailure("command reply \(misuse) (command: \(command ?? "-"))")
    }
}

@available(*, unavailable) extension CommandReply: Sendable {}
