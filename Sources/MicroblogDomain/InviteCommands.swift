import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/invite` and `/invites`: one-time codes for registration by invitation.
extension Community {
    /// `/invite`: a new one-time code, from the account's allowance (administrators have no limit).
    func invite(by user: User, for session: Session) {
        queue.checkConfined()
        let reply = desk.waiting(session, command: "invite")
        let code = InviteCode.make()
        let unlimited = settings.isAdmin(user)
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
                desk.storageFailed(error, command: "invite", for: session)
            }
            reply.finish()
        }
    }

    /// `/invites`: the account's unused codes; `/invites allow NAME N` (administrators): NAME may make N more.
    func invites(_ action: InvitesAction, by user: User, for session: Session) {
        queue.checkConfined()
        switch action {
        case .list:
            let reply = desk.waiting(session, command: "invites")
            let unlimited = settings.isAdmin(user)
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
                    desk.storageFailed(error, command: "invites", for: session)
                }
                reply.finish()
            }
        case .allow(let name, let count):
            guard settings.isAdmin(user) else {
                return session.send(
                    .error(WireError(.forbidden, "only administrators can give invites"), command: "invites"))
            }
            desk.withUser(named: name, command: "invites", for: session) { [self] target, reply in
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
                        desk.storageFailed(error, command: "invites", for: session)
                    }
                    reply.finish()
                }
            }
        }
    }
}
