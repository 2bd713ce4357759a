import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// People and what passes between them: `/profile`, `/bio`, `/away`, `/back`, `/msg`, `/inbox`, and (in
/// `SocialCommands.swift`) following, muting, `/following`, `/followers`, `/posts` and `/trending`. No
/// state of its own: relations are the viewers' in the session directory.
/// Confined to the server queue.
final class People {
    let queue: DispatchQueue
    let settings: MicroblogSettings
    let storage: StorageWorker
    let directory: SessionDirectory
    let limits: Limits
    let desk: CommandDesk
    let posting: Posting
    let notifications: Notifications
    let log: Logger

    init(
        queue: DispatchQueue, settings: MicroblogSettings, storage: StorageWorker, directory: SessionDirectory,
        limits: Limits, desk: CommandDesk, posting: Posting, notifications: Notifications, log: Logger
    ) {
        self.queue = queue
        self.settings = settings
        self.storage = storage
        self.directory = directory
        self.limits = limits
        self.desk = desk
        self.posting = posting
        self.notifications = notifications
        self.log = log
    }

    static let maxBioCharacters = 160

    func profile(_ name: String?, for session: Session) {
        queue.checkConfined()
        let show = { [self] (user: User, reply: CommandReply) in
            storage.perform({ store in try store.profile(of: user.id) }) { [self] result in
                switch result {
                case .success(let profile?):
                    return directory.withPresence { online, _ in
                        let here = online[user.id]
                        session.send(.profile(profile, online: here?.sessions ?? 0, away: here?.away))
                        session.send(.ok(Ack(command: "profile", message: "that is \(profile.user.name)")))
                        reply.finish()
                    }
                case .success(nil):
                    session.send(.error(desk.noSuchUser(user.name), command: "profile"))
                case .failure(let error):
                    desk.storageFailed(error, command: "profile", for: session)
                }
                reply.finish()
            }
        }
        if let name {
            desk.withUser(named: name, command: "profile", for: session, show)
        } else if let me = session.user {
            show(me, desk.waiting(session, command: "profile"))
        } else {
            session.send(
                .error(
                    WireError(.notLoggedIn, "name someone (/profile NAME), or log in to see your own"),
                    command: "profile"))
        }
    }

    func setBio(_ raw: String?, by user: User, for session: Session) {
        queue.checkConfined()
        var bio = ""
        if let raw {
            switch PostRules.validate(raw, maxCharacters: Self.maxBioCharacters, what: "a bio") {
            case .success(let valid): bio = valid
            case .failure(let error): return session.send(.error(error, command: "bio"))
            }
        }
        let reply = desk.waiting(session, command: "bio")
        storage.perform({ [bio] store in try store.setBio(user.id, bio) }) { [self] result in
            switch result {
            case .success:
                session.send(.ok(Ack(command: "bio", message: bio.isEmpty ? "bio cleared" : "bio set")))
            case .failure(let error):
                desk.storageFailed(error, command: "bio", for: session)
            }
            reply.finish()
        }
    }

    /// `/away MESSAGE` (nil: `/back`). Shown while the account has a session open.
    func setAway(_ message: String?, by user: User, for session: Session) {
        queue.checkConfined()
        guard let message else {
            let wasAway = directory.awayMessages.removeValue(forKey: user.id) != nil
            return session.send(.ok(Ack(command: "back", message: wasAway ? "welcome back" : "you were not away")))
        }
        switch PostRules.validate(message, maxCharacters: Self.maxBioCharacters, what: "an away message") {
        case .success(let valid):
            directory.awayMessages[user.id] = valid
            let said = valid == AwayMessage.standard ? "you are away" : "you are away: \(valid)"
            session.send(.ok(Ack(command: "away", message: said + "; /back when you are back")))
        case .failure(let error):
            session.send(.error(error, command: "away"))
        }
    }

    func sendMessage(to name: String, _ raw: String, by me: User, for session: Session) {
        queue.checkConfined()
        let text: String
        switch PostRules.validate(raw, maxCharacters: PostRules.maxCharacters, what: "a message") {
        case .success(let valid): text = valid
        case .failure(let error): return session.send(.error(error, command: "msg"))
        }
        desk.withUser(named: name, command: "msg", for: session) { [self] recipient, reply in
            guard recipient.id != me.id else {
                session.send(.error(WireError(.badUsage, "you cannot message yourself"), command: "msg"))
                return reply.finish()
            }
            guard posting.admitPost(by: me, command: "msg", for: session) else { return reply.finish() }
            let now = Timestamp.now()
            storage.perform({ store in try store.sendMessage(from: me.id, to: recipient.id, text: text, at: now) }) {
                [self] result in
                switch result {
                case .success(let message):
                    // As IRC's RPL_AWAY: the sender learns the recipient is away, and why.
                    var said = "message #\(message.id) sent to \(recipient.name)"
                    var fields: [Ack.Field] = [.int("id", message.id), .string("to", recipient.name)]
                    if let away = directory.awayMessages[recipient.id] {
                        said += away == AwayMessage.standard ? "; they are away" : "; they are away: \(away)"
                        fields.append(.string("away", away))
                    }
                    session.send(.ok(Ack(command: "msg", message: said, fields: fields)))
                    deliverDirect(message, excluding: session)
                case .failure(let error):
                    desk.storageFailed(error, command: "msg", for: session)
                }
                reply.finish()
            }
        }
    }

    /// Both ends see a message live: the recipient's sessions (unless they muted the sender), and the
    /// sender's other sessions.
    func deliverDirect(_ message: DirectMessage, excluding excluded: Session? = nil) {
        queue.checkConfined()
        let event = EncodedEvent(.message(message, live: true), at: .now())
        var shownToRecipient = false
        for other in (directory.sessionsByUser[message.recipientID] ?? [])
            + (directory.sessionsByUser[message.senderID] ?? [])
        where other !== excluded {
            if other.viewer?.relations.muted.contains(message.senderID) == true { continue }
            if other.receiveDirect(event) && other.user?.id == message.recipientID { shownToRecipient = true }
        }
        // Read live is read: the login catch-up and /inbox must not count it as unread later.
        guard shownToRecipient else { return }
        let now = Timestamp.now()
        storage.perform({ store in
            try store.markMessageRead(id: message.id, recipientID: message.recipientID, at: now)
        }) { [self] result in
            if case .failure(let error) = result { desk.logStorageFault(error, command: "msg", conn: nil) }
        }
        if directory.viewers[message.recipientID]?.relations.muted.contains(message.senderID) != true {
            notifications.ringBell(of: message.recipientID, excluding: excluded)
        }
    }

    func inbox(with name: String?, _ count: Int, by me: User, for session: Session) {
        queue.checkConfined()
        let muted = session.viewer?.relations.muted ?? []
        guard let name else {
            let reply = desk.waiting(session, command: "inbox")
            storage.perform({ store in try store.inbox(of: me.id, limit: count) }) { [self] result in
                switch result {
                case .success(let entries):
                    let shown = entries.filter { !muted.contains($0.withID) }
                    for entry in shown { session.send(.conversation(entry)) }
                    let unread = shown.reduce(0) { $0 + $1.unread }
                    let message =
                        shown.isEmpty
                        ? "no messages; /msg NAME TEXT sends one"
                        : "\(shown.count) conversation\(shown.count == 1 ? "" : "s"), \(unread) unread; /inbox NAME reads one"
                    session.send(
                        .ok(
                            Ack(
                                command: "inbox", message: message,
                                fields: [.int("count", Int64(shown.count)), .int("unread", Int64(unread))])))
                case .failure(let error):
                    desk.storageFailed(error, command: "inbox", for: session)
                }
                reply.finish()
            }
            return
        }
        desk.withUser(named: name, command: "inbox", for: session) { [self] other, reply in
            guard !muted.contains(other.id) else {
                // Not read, so not marked read either.
                session.send(
                    .ok(
                        Ack(
                            command: "inbox",
                            message: "you muted \(other.name); /unmute \(other.name) to read your messages",
                            fields: [.int("count", 0), .string("with", other.name)])))
                return reply.finish()
            }
            storage.perform({ store in try store.conversation(of: me.id, with: other.id, limit: count) }) {
                [self] result in
                switch result {
                case .success(let messages):
                    let now = Timestamp.now()
                    for message in messages where !muted.contains(message.senderID) {
                        session.send(.message(message, live: false), now: now)
                    }
                    session.send(
                        .ok(
                            Ack(
                                command: "inbox",
                                message:
                                    "\(messages.count) message\(messages.count == 1 ? "" : "s") with \(other.name)",
                                fields: [.int("count", Int64(messages.count)), .string("with", other.name)])))
                case .failure(let error):
                    desk.storageFailed(error, command: "inbox", for: session)
                }
                reply.finish()
            }
        }
    }
}

@available(*, unavailable) extension People: Sendable {}
