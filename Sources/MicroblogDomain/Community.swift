import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// A community's own tools: `/ban`, `/unban`, `/kick`, `/announce`, and (in `ReportCommands.swift` and
/// `InviteCommands.swift`) `/report`, `/reports`, `/invite`, `/invites`. Every administrator's step is
/// logged and kept in the moderation log (the `moderation` table). No state of its own: it reads the
/// session directory and answers through the desk.
/// Confined to the server queue.
final class Community {
    let queue: DispatchQueue
    let settings: MicroblogSettings
    let storage: StorageWorker
    let directory: SessionDirectory
    let desk: CommandDesk
    let log: Logger

    init(
        queue: DispatchQueue, settings: MicroblogSettings, storage: StorageWorker, directory: SessionDirectory,
        desk: CommandDesk, log: Logger
    ) {
        self.queue = queue
        self.settings = settings
        self.storage = storage
        self.directory = directory
        self.desk = desk
        self.log = log
    }

    /// The longest reason (a ban's, a report's) or note: as long as a bio.
    static let maxReasonCharacters = People.maxBioCharacters

    /// Ends every session of a banned account on this node, telling it why.
    func endSessions(of userID: Int64, banned reason: String) {
        queue.checkConfined()
        for other in directory.sessionsByUser[userID] ?? [] {
            other.startLeaving()  // first, so no prompt is drawn after the goodbye
            other.send(.bye(reason: "banned", message: "your account is banned: \(reason)"))
            other.output.closeAfterFlush(reason: .banned)
        }
    }

    /// Called when a ban or its lifting changes whom the web door hides (set by `Microblog`).
    var onWebVisibilityChange: (_ userID: Int64, _ hidden: Bool) -> Void = { _, _ in }

    /// `/ban NAME REASON` and `/unban NAME` (reason nil), for administrators (`CommandAccess.administrator`).
    /// A ban ends the account's sessions at once and refuses its logins; both are logged and kept in the
    /// database.
    func ban(_ name: String, reason: String?, by admin: User, for session: Session) {
        queue.checkConfined()
        let command = reason == nil ? "unban" : "ban"
        var checkedReason: String?
        if let reason {
            switch PostRules.validate(reason, maxCharacters: Self.maxReasonCharacters, what: "a reason") {
            case .success(let valid): checkedReason = valid
            case .failure(let error): return session.send(.error(error, command: command))
            }
        }
        desk.withUser(named: name, command: command, for: session) { [self] target, reply in
            guard !settings.isAdmin(target) else {
                session.send(.error(WireError(.forbidden, "administrators cannot be banned"), command: command))
                return reply.finish()
            }
            let now = Timestamp.now()
            storage.perform({ [checkedReason] store in
                try store.setBanned(target.id, reason: checkedReason, by: admin.id, at: now)
            }) { [self] result in
                switch result {
                case .success(let changed):
                    log.info(command, ["admin": admin.name, "user": target.name, "reason": checkedReason ?? "-"])
                    if let checkedReason { endSessions(of: target.id, banned: checkedReason) }
                    if changed { onWebVisibilityChange(target.id, checkedReason != nil) }
                    let message: String
                    switch (checkedReason != nil, changed) {
                    case (true, true): message = "\(target.name) is banned"
                    case (true, false): message = "\(target.name) was already banned"
                    case (false, true): message = "\(target.name) may log in again"
                    case (false, false): message = "\(target.name) was not banned"
                    }
                    session.send(.ok(Ack(command: command, message: message, fields: [.string("name", target.name)])))
                case .failure(let error):
                    desk.storageFailed(error, command: command, for: session)
                }
                reply.finish()
            }
        }
    }

    /// `/kick NAME`: ends the account's sessions on every node, without a ban.
    func kick(_ name: String, by admin: User, for session: Session) {
        queue.checkConfined()
        desk.withUser(named: name, command: "kick", for: session) { [self] target, reply in
            guard !settings.isAdmin(target) else {
                session.send(.error(WireError(.forbidden, "administrators cannot be kicked"), command: "kick"))
                return reply.finish()
            }
            let now = Timestamp.now()
            storage.perform({ store in
                try store.moderate(
                    by: admin.id, action: "kick", userID: target.id, reason: "", at: now,
                    announcing: .kicked(userID: target.id))
            }) { [self] result in
                switch result {
                case .success:
                    let sessions = directory.sessionsByUser[target.id]?.count ?? 0
                    log.info("moderation", ["admin": admin.name, "action": "kick", "user": target.name])
                    endSessions(of: target.id, kickedBy: admin.name)
                    session.send(
                        .ok(
                            Ack(
                                command: "kick",
                                message:
                                    "\(target.name) was kicked (\(sessions) session\(sessions == 1 ? "" : "s") here)",
                                fields: [.string("name", target.name), .int("sessions", Int64(sessions))])))
                case .failure(let error):
                    desk.storageFailed(error, command: "kick", for: session)
                }
                reply.finish()
            }
        }
    }

    /// Ends every session of a kicked account on this node, saying who did it.
    func endSessions(of userID: Int64, kickedBy admin: String?) {
        queue.checkConfined()
        for other in directory.sessionsByUser[userID] ?? [] {
            let by = admin.map { "by \($0), an administrator" } ?? "by an administrator"
            other.send(.bye(reason: "kicked", message: "you were disconnected \(by); you may log in again"))
            other.startLeaving()
            other.output.closeAfterFlush(reason: .kicked)
        }
    }

    /// `/announce TEXT`: a notice to every session on every node, whatever it watches.
    func announce(_ raw: String, by admin: User, for session: Session) {
        queue.checkConfined()
        let text: String
        switch PostRules.validate(raw, maxCharacters: PostRules.maxCharacters, what: "an announcement") {
        case .success(let valid): text = valid
        case .failure(let error): return session.send(.error(error, command: "announce"))
        }
        let reply = desk.waiting(session, command: "announce")
        let now = Timestamp.now()
        storage.perform({ store in
            try store.moderate(
                by: admin.id, action: "announce", userID: nil, reason: text, at: now,
                announcing: .announcement(from: admin.name, text: text))
        }) { [self] result in
            switch result {
            case .success:
                log.info("moderation", ["admin": admin.name, "action": "announce", "text": text])
                let reached = deliverAnnouncement(from: admin.name, text: text, excluding: session)
                session.send(
                    .ok(
                        Ack(
                            command: "announce",
                            message: "announced to \(reached) other session\(reached == 1 ? "" : "s") here",
                            fields: [.int("sessions", Int64(reached))])))
            case .failure(let error):
                desk.storageFailed(error, command: "announce", for: session)
            }
            reply.finish()
        }
    }

    /// Shows an announcement to every greeted session on this node (held like a direct message at a
    /// prompt); returns how many.
    @discardableResult
    func deliverAnnouncement(from admin: String, text: String, excluding excluded: Session? = nil) -> Int {
        queue.checkConfined()
        let event = EncodedEvent(.announcement(from: admin, text: text), at: .now())
        var reached = 0
        for other in directory.sessions.values where other !== excluded && !other.runsOneCommand {
            guard !other.lifecycle.isLeaving, other.lifecycle != .greeting else { continue }
            other.receiveDirect(event)
            reached += 1
        }
        return reached
    }
}

@available(*, unavailable) extension Community: Sendable {}
