import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// A community's own tools: `/kick`, `/announce`, `/report`, `/reports`, `/invite`, `/invites`. Every
/// administrator's step is logged and kept in the moderation log (the `moderation` table).
extension Microblog {
    /// `/kick NAME`: ends the account's sessions on every node, without a ban.
    func kick(_ name: String, by admin: User, for session: Session) {
        withUser(named: name, command: "kick", for: session) { [self] target, reply in
            guard !isAdmin(target) else {
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
                    storageFailed(error, command: "kick", for: session)
                }
                reply.finish()
            }
        }
    }

    /// Ends every session of a kicked account on this node, saying who did it.
    func endSessions(of userID: Int64, kickedBy admin: String?) {
        for other in directory.sessionsByUser[userID] ?? [] {
            let by = admin.map { "by \($0), an administrator" } ?? "by an administrator"
            other.send(.bye(reason: "kicked", message: "you were disconnected \(by); you may log in again"))
            other.startLeaving()
            other.output.closeAfterFlush(reason: .kicked)
        }
    }

    /// `/announce TEXT`: a notice to every session on every node, whatever it watches.
    func announce(_ raw: String, by admin: User, for session: Session) {
        let text: String
        switch PostRules.validate(raw, maxCharacters: PostRules.maxCharacters, what: "an announcement") {
        case .success(let valid): text = valid
        case .failure(let error): return session.send(.error(error, command: "announce"))
        }
        let reply = waiting(session, command: "announce")
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
                storageFailed(error, command: "announce", for: session)
            }
            reply.finish()
        }
    }

    /// Shows an announcement to every greeted session on this node (held like a direct message at a
    /// prompt); returns how many.
    @discardableResult
    func deliverAnnouncement(from admin: String, text: String, excluding excluded: Session? = nil) -> Int {
        let event = EncodedEvent(.announcement(from: admin, text: text), at: .now())
        var reached = 0
        for other in directory.sessions.values where other !== excluded && !other.runsOneCommand {
            guard !other.lifecycle.isLeaving, other.lifecycle != .greeting else { continue }
            other.receiveDirect(event)
            reached += 1
        }
        return reached
    }

    /// `/report ID REASON`: flags a post for the administrators.
    func report(_ id: Int64, reason raw: String, by user: User, for session: Session) {
        let reason: String
        switch PostRules.validate(raw, maxCharacters: Self.maxBioCharacters, what: "a reason") {
        case .success(let valid): reason = valid
        case .failure(let error): return session.send(.error(error, command: "report"))
        }
        withPost(id, command: "report", for: session) { [self] post, reply in
            let now = Timestamp.now()
            storage.perform({ store in
                try store.addReport(postID: post.id, reporterID: user.id, reason: reason, at: now)
            }) {
                [self] result in
                switch result {
                case .success(let (number, true)):
                    log.info("report", ["user": user.name, "post": id, "report": number])
                    session.send(
                        .ok(
                            Ack(
                                command: "report",
                                message: "thank you: report \(number) on #\(id) goes to the administrators",
                                fields: [.int("id", number), .int("post", id), .bool("already", false)])))
                case .success(let (number, false)):
                    // One open report per reporter and post: nothing was added.
                    session.send(
                        .ok(
                            Ack(
                                command: "report",
                                message:
                                    "you already reported #\(id): report \(number) is open until an administrator closes it",
                                fields: [.int("id", number), .int("post", id), .bool("already", true)])))
                case .failure(let error):
                    storageFailed(error, command: "report", for: session)
                }
                reply.finish()
            }
        }
    }

    /// `/reports` and `/reports close N [NOTE]`, for administrators.
    func reports(_ action: ReportsAction, by admin: User, for session: Session) {
        let reply = waiting(session, command: "reports")
        switch action {
        case .list:
            storage.perform({ store in try store.openReports(limit: CommandTable.maxReportsListed) }) {
                [self] result in
                switch result {
                case .success(let open):
                    let now = Timestamp.now()
                    for report in open { session.send(.report(report), now: now) }
                    let message =
                        open.isEmpty
                        ? "no open reports" : "\(open.count) open report\(open.count == 1 ? "" : "s"); /reports close N"
                    session.send(
                        .ok(Ack(command: "reports", message: message, fields: [.int("count", Int64(open.count))])))
                case .failure(let error):
                    storageFailed(error, command: "reports", for: session)
                }
                reply.finish()
            }
        case .close(let number, let rawNote):
            var note = ""
            if let rawNote {
                switch PostRules.validate(rawNote, maxCharacters: Self.maxBioCharacters, what: "a note") {
                case .success(let valid): note = valid
                case .failure(let error):
                    session.send(.error(error, command: "reports"))
                    return reply.finish()
                }
            }
            let now = Timestamp.now()
            storage.perform({ [note] store in try store.closeReport(number, by: admin.id, note: note, at: now) }) {
                [self] result in
                switch result {
                case .success(let post?):
                    log.info(
                        "moderation", ["admin": admin.name, "action": "close_report", "report": number, "post": post])
                    session.send(
                        .ok(
                            Ack(
                                command: "reports", message: "report \(number) on #\(post) closed",
                                fields: [.int("id", number), .int("post", post)])))
                case .success(nil):
                    session.send(
                        .error(
                            WireError(.noSuchReport, "there is no open report \(number); /reports lists them"),
                            command: "reports"))
                case .failure(let error):
                    storageFailed(error, command: "reports", for: session)
                }
                reply.finish()
            }
        }
    }

    /// `/invite`: a new one-time code, from the account's allowance (administrators have no limit).
    func invite(by user: User, for session: Session) {
        let reply = waiting(session, command: "invite")
        let code = InviteCode.make()
        let unlimited = isAdmin(user)
        let now = Timestamp.now()
        storage.perform({ store in try store.createInvite(code: code, by: user.id, unlimited: unlimited, at: now) }) {
            [self] result in
            switch result {
            case .success(true):
                log.info("invite", ["user": user.name])
                session.send(.inviteCode(code))
                let hint =
                    settings.registration == .invite
                    ? "give it to one person: /register NAME \(code)"
                    : "registration is \(settings.registration.rawValue) now, so the code is not needed yet"
                session.send(
                    .ok(
                        Ack(command: "invite", message: "invite code \(code); \(hint)", fields: [.string("code", code)])
                    ))
            case .success(false):
                session.send(
                    .error(
                        WireError(.noInvites, "you have no invites left; an administrator can give you some"),
                        command: "invite"))
            case .failure(let error):
                storageFailed(error, command: "invite", for: session)
            }
            reply.finish()
        }
    }

    /// `/invites`: the account's unused codes; `/invites allow NAME N` (administrators): NAME may make N more.
    func invites(_ action: InvitesAction, by user: User, for session: Session) {
        switch action {
        case .list:
            let reply = waiting(session, command: "invites")
            let unlimited = isAdmin(user)
            storage.perform({ store in try store.invites(of: user.id) }) { [self] result in
                switch result {
                case .success(let (unused, left)):
                    for code in unused { session.send(.inviteCode(code)) }
                    let more = unlimited ? "as many as you like (administrator)" : "\(left) more"
                    session.send(
                        .ok(
                            Ack(
                                command: "invites",
                                message:
                                    "\(unused.count) unused code\(unused.count == 1 ? "" : "s"); you may make \(more) with /invite",
                                fields: [
                                    .int("unused", Int64(unused.count)), .int("left", Int64(left)),
                                    .bool("unlimited", unlimited),
                                ])))
                case .failure(let error):
                    storageFailed(error, command: "invites", for: session)
                }
                reply.finish()
            }
        case .allow(let name, let count):
            guard isAdmin(user) else {
                return session.send(
                    .error(WireError(.forbidden, "only administrators can give invites"), command: "invites"))
            }
            withUser(named: name, command: "invites", for: session) { [self] target, reply in
                let now = Timestamp.now()
                storage.perform({ store in try store.setInvitesLeft(target.id, count, by: user.id, at: now) }) {
                    [self] result in
                    switch result {
                    case .success:
                        log.info(
                            "moderation",
                            ["admin": user.name, "action": "invites", "user": target.name, "count": count])
                        session.send(
                            .ok(
                                Ack(
                                    command: "invites",
                                    message:
                                        "\(target.name) may make \(count) more invite code\(count == 1 ? "" : "s")",
                                    fields: [.string("name", target.name), .int("left", Int64(count))])))
                    case .failure(let error):
                        storageFailed(error, command: "invites", for: session)
                    }
                    reply.finish()
                }
            }
        }
    }
}
