import Dispatch
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// What every service needs to answer a command: holding a session's lines while its command waits
/// (`waiting`), reporting a store failure to the client and the log (`storageFailed`), whether the server
/// is shutting down, and looking up the account or post a command names (`withUser`, `withPost`, in
/// `CommandLookups.swift`). `Microblog` owns it and, once built, sets `resume` to run the lines a finished
/// wait held back.
/// Confined to the server queue.
final class CommandDesk {
    let queue: DispatchQueue
    let storage: StorageWorker
    let log: Logger
    /// The database for logs: a file path, or a PostgreSQL location without its password.
    var databaseName = ""
    /// Where a `CommandReply` finished twice or dropped unfinished is reported: an assertion failure,
    /// unless a test wants to see the release-build path.
    var replyMisuse: (CommandReply.Misuse, String?) -> Void = CommandReply.assertion
    /// Set when the server starts shutting down: no further line runs and no post is taken.
    var shuttingDown = false
    /// Runs the session's queued lines (`Microblog.processQueued`) after a wait ends.
    var resume: (Session) -> Void = { _ in }
    /// Counts a logged storage fault (`Metrics.storageFaults`).
    var onStorageFault: () -> Void = {}

    init(queue: DispatchQueue, storage: StorageWorker, log: Logger) {
        self.queue = queue
        self.storage = storage
        self.log = log
    }

    /// Holds the session's lines until the returned reply is finished (`Lifecycle.running`; the greeting
    /// is a wait of its own). `command` names the command whose reply is still to come, if any. A reply
    /// dropped unfinished (a bug) still ends the wait, with an `internal` error for its command.
    func waiting(_ session: Session, command: String?) -> CommandReply {
        queue.checkConfined()
        switch session.lifecycle {
        case .ready: session.lifecycle = .running(command: command)
        case .greeting: break
        default: assertionFailure("a wait may start only from ready, not \(session.lifecycle)")
        }
        return CommandReply(command: command, queue: queue, misuse: replyMisuse) { [self] abandoned in
            if abandoned {
                log.error("reply_abandoned", ["conn": session.id, "command": command ?? "-"])
                if command != nil {
                    session.send(
                        .error(
                            WireError(.internalError, "the server lost track of that command; try again"),
                            command: command))
                }
            }
            // A session that is leaving or closed meanwhile stays so.
            if session.lifecycle.isWaiting { session.lifecycle = .ready }
            resume(session)
        }
    }

    /// Answers `command` with the store's failure: a deleted account is said as such, anything else is
    /// a fault, logged (`logStorageFault`) and answered with its `storage` error.
    func storageFailed(_ error: StoreError, command: String, for session: Session) {
        if error == .accountDeleted {
            // Not a fault: the account was deleted (in another session, or on another node) first.
            return session.send(
                .error(
                    WireError(.accountDeleted, "your account was deleted; that \(command) was not saved"),
                    command: command))
        }
        if error == .otherAccountDeleted {
            return session.send(
                .error(
                    WireError(.noSuchUser, "that account was just deleted; the \(command) was not saved"),
                    command: command))
        }
        logStorageFault(error, command: command, conn: session.id)
        session.send(.error(.storage(error.fault), command: command))
    }

    /// Logs a store failure as one `event=storage` line: the database (a file, or a PostgreSQL location
    /// without its password), the kind of fault, the engine's code (SQLite's extended result code,
    /// PostgreSQL's SQLSTATE) and message, and what failed. Rate-limited by
    /// kind and command, so a fault that every post hits cannot flood the log; the count of lines left
    /// out is written with the next one (see `LogRateLimiter`).
    func logStorageFault(_ error: StoreError, command: String, conn: Int? = nil) {
        var pairs: [(String, String)] = []
        if let conn { pairs.append(("conn", String(conn))) }
        pairs += [
            ("command", command), ("db", databaseName), ("reason", error.fault.rawValue),
            ("code", String(error.faultCode)), ("message", error.faultMessage), ("error", error.description),
        ]
        log.log(.error, "storage", pairs: pairs, limitKey: "storage \(error.fault.rawValue) \(command)")
        onStorageFault()
    }
}

@available(*, unavailable) extension CommandDesk: Sendable {}
