import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/export` and `/delete-account`: an account's data belongs to its person, to take away or to remove.
extension Microblog {
    /// Sends every record of the account as one JSON object a line (in text mode too), then an
    /// `export_end` line with the counts, then the reply. Streamed a page at a time (`ExportStream`): the
    /// next page is read from the store only once the session's output has drained, so an exporter that
    /// does not read holds at most one page beyond what its socket took, and each page is one short store
    /// call. Live posts and messages are held meanwhile, as at a prompt, so none comes between the lines.
    func export(_ user: User, for session: Session) {
        if exportingAccounts.contains(user.id) {
            return session.send(
                .error(
                    WireError(
                        .rateLimited, "an export of this account is already running; wait for it to end",
                        retryAfter: 1), command: "export"))
        }
        let now = MonotonicClock.now()
        var bucket =
            exportBuckets[session.peerHost]
            ?? TokenBucket(rate: Self.exportsPerAddressPerHour / 3600, burst: Self.exportBurstPerAddress, now: now)
        let wait = bucket.take(now: now)
        exportBuckets[session.peerHost] = bucket
        if let wait {
            return session.send(
                .error(
                    WireError(.rateLimited, "too many exports from your address", retryAfter: wait),
                    command: "export"))
        }
        let stream = ExportStream(user: user, reply: waiting(session, command: "export"))
        exports[session.id] = stream
        exportingAccounts.insert(user.id)
        session.live.holding = true
        readExportPage(stream, for: session)
    }

    /// Records a page of `/export` reads at most (fewer when long texts fill `exportPageTextBytes`).
    static let exportPageRecords = 256
    /// Exports one address may start: `exportBurstPerAddress` at once, then `exportsPerAddressPerHour`.
    static let exportBurstPerAddress = 3.0
    static let exportsPerAddressPerHour = 12.0

    /// The text a page may carry: a quarter of the output limit (at least 4 KiB), so a page rendered
    /// (JSON escapes at most double it) stays within the limit.
    var exportPageTextBytes: Int { max(4096, settings.outputLimit / 4) }

    /// Reads the next page of `stream` (one store call) and sends it; then waits for the drain, or ends.
    private func readExportPage(_ stream: ExportStream, for session: Session) {
        let (userID, cursor) = (stream.user.id, stream.cursor)
        let (limit, textBytes) = (Self.exportPageRecords, exportPageTextBytes)
        exportPagesRead += 1
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
                storageFailed(error, command: "export", for: session)
                endExport(of: session)
            }
        }
    }

    /// The session's output drained: the export waiting for it reads its next page. True when one did.
    func continueExport(of session: Session) -> Bool {
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

    /// Ends the session's export without its last lines (closed, leaving, or a storage failure): nothing
    /// more is read, and what it held is released.
    func endExport(of session: Session) {
        guard let stream = exports.removeValue(forKey: session.id) else { return }
        exportingAccounts.remove(stream.user.id)
        stream.reply.finish()
    }

    /// `/delete-account`: the password once more, at a hidden prompt, before anything is removed.
    func deleteAccount(_ user: User, for session: Session) {
        guard passwordsAllowed(for: session, command: "delete-account") else { return }
        startPrompt(.deleteAccountPassword, text: Session.Prompt.deleteAccountPassword.text, for: session)
    }

    func confirmDeletion(password: String, for session: Session) {
        guard let user = session.user else {
            return session.send(.error(WireError(.notLoggedIn, "you are not logged in"), command: "delete-account"))
        }
        guard !password.isEmpty else {
            return session.send(
                .error(WireError(.badPassword, "not deleted: no password given"), command: "delete-account"))
        }
        checkPassword(name: user.name, password: password, for: session, command: "delete-account") {
            [self] verdict, reply in
            switch verdict {
            case .accepted(let account, _) where account.user.id == user.id:
                let now = Timestamp.now()
                storage.perform({ store in try store.deleteAccount(user.id, at: now) }) { [self] result in
                    switch result {
                    case .success(let ids):
                        accountDeleted(user, posts: ids, for: session)
                    case .failure(let error):
                        storageFailed(error, command: "delete-account", for: session)
                    }
                    reply.finish()
                }
                return
            case .storage(let error):
                storageFailed(error, command: "delete-account", for: session)
            case .accepted, .banned, .wrong:
                session.send(.error(WireError(.badLogin, "wrong password; not deleted"), command: "delete-account"))
            }
            reply.finish()
        }
    }

    /// After the store removed the account: its other sessions end, this one goes on as a guest, and
    /// everyone watching sees its posts go as deletions.
    private func accountDeleted(_ user: User, posts ids: [Int64], for session: Session) {
        log.info("account_deleted", ["conn": session.id, "user": user.name, "peer": session.peer, "posts": ids.count])
        endSessions(ofDeleted: user.id, excluding: session)
        forgetDeletedAccount(user.id)
        if session.user?.id == user.id {
            signOut(session)
            if session.watch.mode == .following {
                setWatch(WatchSetting(mode: .all, tags: session.watch.tags), for: session)
            }
        }
        let days = Int((settings.deletedNameHold / 86_400).rounded())
        session.send(
            .ok(
                Ack(
                    command: "delete-account",
                    message:
                        "your account \(user.name) is deleted, with \(ids.count) post\(ids.count == 1 ? "" : "s"); the name is held for \(days) day\(days == 1 ? "" : "s"). Goodbye",
                    fields: [
                        .string("name", user.name), .int("posts", Int64(ids.count)), .int("held_days", Int64(days)),
                    ])))
        if !ids.isEmpty { hub.broadcast(EncodedEvent(.deleted(ids: ids), at: .now())) }
    }

    /// Ends every session of a deleted account on this node (but `excluded`, which carries on as a guest).
    func endSessions(ofDeleted userID: Int64, excluding excluded: Session? = nil) {
        for other in sessionsByUser[userID] ?? [] where other !== excluded {
            other.send(.bye(reason: "account_deleted", message: "this account was deleted in another session"))
            other.startLeaving()
            other.output.closeAfterFlush(reason: .quit)
        }
    }
}

/// A `/export` under way: whose, where it stands, what it has sent, and whether it waits for its
/// session's output to drain. Confined to the server queue (held by `Microblog.exports`).
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
