import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/export`: an account's data belongs to its person, to take away. Owns the exports under way.
/// Confined to the server queue.
final class AccountExports {
    private let queue: DispatchQueue
    private let settings: MicroblogSettings
    private let storage: StorageWorker
    private let log: Logger
    private let limits: Limits
    private let desk: CommandDesk
    /// The exports running, by session id, and the accounts they export.
    private var exports: [Int: ExportStream] = [:]
    private var exportingAccounts: Set<Int64> = []
    /// Pages of `/export` read from the store so far (for tests and stats).
    private(set) var pagesRead = 0

    init(
        queue: DispatchQueue, settings: MicroblogSettings, storage: StorageWorker, log: Logger, limits: Limits,
        desk: CommandDesk
    ) {
        self.queue = queue
        self.settings = settings
        self.storage = storage
        self.log = log
        self.limits = limits
        self.desk = desk
    }

    /// Sends every record of the account as one JSON object a line (in text mode too), then an
    /// `export_end` line with the counts, then the reply. Streamed a page at a time (`ExportStream`): the
    /// next page is read from the store only once the session's output has drained, so an exporter that
    /// does not read holds at most one page beyond what its socket took, and each page is one short store
    /// call. Live posts and messages are held meanwhile, as at a prompt, so none comes between the lines.
    func export(_ user: User, for session: Session) {
        queue.checkConfined()
        if exportingAccounts.contains(user.id) {
            return session.send(
                .error(
                    WireError(
                        .rateLimited, "an export of this account is already running; wait for it to end",
                        retryAfter: 1), command: "export"))
        }
        if let wait = limits.takeExport(from: session.peerHost) {
            return session.send(
                .error(
                    WireError(.rateLimited, "too many exports from your address", retryAfter: wait),
                    command: "export"))
        }
        let stream = ExportStream(user: user, reply: desk.waiting(session, command: "export"))
        exports[session.id] = stream
        exportingAccounts.insert(user.id)
        session.live.holding = true
        readExportPage(stream, for: session)
    }

    /// Records a page of `/export` reads at most (fewer when long texts fill `pageTextBytes`).
    static let pageRecords = 256

    /// The text a page may carry: a quarter of the output limit (at least 4 KiB), so a page rendered
    /// (JSON escapes at most double it) stays within the limit.
    var pageTextBytes: Int { max(4096, settings.outputLimit / 4) }

    /// Reads the next page of `stream` (one store call) and sends it; then waits for the drain, or ends.
    private func readExportPage(_ stream: ExportStream, for session: Session) {
        let (userID, cursor) = (stream.user.id, stream.cursor)
        let (limit, textBytes) = (Self.pageRecords, pageTextBytes)
        pagesRead += 1
        storage.read(for: session.peerHost) { store in
            try store.exportPage(of: userID, from: cursor, limit: limit, textBytes: textBytes)
        } completion: { [self] result in
            // The session closed meanwhile (`endExport` already finished the reply), or is leaving.
            guard exports[session.id] === stream else { return }
            guard !session.lifecycle.isLeaving else { return endExport(of: session) }
            switch result {
            case .success(let page):
                for record in page.records {
                    session.sendUnwrapped(.exportRecord(record))
                    stream.counts[record.kind + "s", default: 0] += 1
                }
                guard let next = page.next else { return finishExport(stream, for: session) }
                stream.cursor = next
                if session.output.pendingOutputBytes > 0 {
                    stream.waitingForDrain = true
                    session.output.notifyWhenDrained()
                } else {
                    readExportPage(stream, for: session)
                }
            case .failure(let error):
                // The error first: ending the export finishes its reply, and the lines waiting behind it run.
                desk.storageFailed(error, command: "export", for: session)
                endExport(of: session)
            }
        }
    }

    /// The session's output drained: the export waiting for it reads its next page. True when one did.
    func continueExport(of session: Session) -> Bool {
        queue.checkConfined()
        guard let stream = exports[session.id], stream.waitingForDrain else { return false }
        stream.waitingForDrain = false
        readExportPage(stream, for: session)
        return true
    }

    private func finishExport(_ stream: ExportStream, for session: Session) {
        let counts = stream.counts
        let records = counts.values.reduce(0, +)
        session.sendUnwrapped(.exportEnd(name: stream.user.name, counts: counts))
        log.info("export", ["user": stream.user.name, "records": records])
        let parts = ["post", "like", "follow", "message"].map { kind in
            let count = counts[kind + "s"] ?? 0
            return "\(count) \(kind)\(count == 1 ? "" : "s")"
        }
        exports[session.id] = nil
        exportingAccounts.remove(stream.user.id)
        // The `ok` releases the live posts held meanwhile.
        session.send(
            .ok(
                Ack(
                    command: "export", message: "exported " + parts.joined(separator: ", "),
                    fields: [.int("records", Int64(records))])))
        stream.reply.finish()
    }

    /// True while the session's export runs (its lines must not be interrupted).
    func isRunning(for session: Session) -> Bool {
        queue.checkConfined()
        return exports[session.id] != nil
    }

    /// Ends the session's export without its last lines (closed, leaving, or a storage failure): nothing
    /// more is read, and what it held is released.
    func endExport(of session: Session) {
        queue.checkConfined()
        guard let stream = exports.removeValue(forKey: session.id) else { return }
        exportingAccounts.remove(stream.user.id)
        stream.reply.finish()
    }
}

@available(*, unavailable) extension AccountExports: Sendable {}

/// A `/export` under way: whose, where it stands, what it has sent, and whether it waits for its
/// session's output to drain. Confined to the server queue (held by `AccountExports`).
final class ExportStream {
    let user: User
    let reply: CommandReply
    var cursor = ExportCursor()
    var counts: [String: Int] = [:]
    var waitingForDrain = false

    init(user: User, reply: CommandReply) {
        self.user = user
        self.reply = reply
    }
}

@available(*, unavailable) extension ExportStream: Sendable {}
