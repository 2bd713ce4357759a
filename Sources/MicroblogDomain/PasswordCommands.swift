import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/passwd`: the account's password now, then the new one twice, all at hidden prompts (as at login),
/// through the same budgets and throttles as a login. `--logout-others` also ends the account's other
/// sessions on this node; without it the reply says how many stay open.
extension Accounts {
    func changePassword(logoutOthers: Bool, by user: User, for session: Session) {
        queue.checkConfined()
        guard passwordsAllowed(for: session, command: "passwd") else { return }
        startPrompt(.currentPassword(logoutOthers: logoutOthers), text: "Current password: ", for: session)
    }

    func answerPasswordChange(_ prompt: Session.Prompt, with value: String, for session: Session) {
        guard let user = session.user else {
            endPrompt(session)
            return session.send(.error(WireError(.notLoggedIn, "you are not logged in"), command: "passwd"))
        }
        if value.isEmpty {
            endPrompt(session)
            return session.send(
                .error(WireError(.badPassword, "password change cancelled; nothing changed"), command: "passwd"))
        }
        switch prompt {
        case .currentPassword(let logoutOthers):
            endPrompt(session)
            checkCurrentPassword(value, of: user, logoutOthers: logoutOthers, for: session)
        case .changedPassword(let logoutOthers):
            if case .failure(let error) = AccountRules.validatePassword(value) {
                endPrompt(session)
                return session.send(.error(error, command: "passwd"))
            }
            newLineAfterHiddenAnswer(session)
            startPrompt(
                .repeatChangedPassword(password: value, logoutOthers: logoutOthers), text: "Repeat the new password: ",
                for: session)
        case .repeatChangedPassword(let password, let logoutOthers):
            endPrompt(session)
            guard value == password else {
                return session.send(
                    .error(
                        WireError(.passwordMismatch, "the two new passwords differ; nothing changed"), command: "passwd"
                    ))
            }
            storeNewPassword(password, of: user, logoutOthers: logoutOthers, for: session)
        default:
            endPrompt(session)
        }
    }

    /// A line-mode telnet client did not echo the Enter of a hidden answer: the next prompt starts on a
    /// line of its own.
    private func newLineAfterHiddenAnswer(_ session: Session) {
        if session.isTelnetLike && session.mode == .text && !session.terminal.isCharacterMode {
            session.sendRaw([13, 10])
        }
    }

    private func checkCurrentPassword(_ password: String, of user: User, logoutOthers: Bool, for session: Session) {
        checkPassword(name: user.name, password: password, for: session, command: "passwd") { [self] verdict, reply in
            switch verdict {
            case .accepted(let account, _) where account.user.id == user.id:
                // The reply is still due: the next prompt belongs to this command.
                guard session.user?.id == user.id, !session.closed else { return reply.finish() }
                startPrompt(.changedPassword(logoutOthers: logoutOthers), text: "New password: ", for: session)
            case .storage(let error):
                desk.storageFailed(error, command: "passwd", for: session)
            case .accepted, .banned, .wrong:
                session.send(.error(WireError(.badLogin, "wrong password; nothing changed"), command: "passwd"))
            }
            reply.finish()
        }
    }

    private func storeNewPassword(_ password: String, of user: User, logoutOthers: Bool, for session: Session) {
        if let refusal = limits.takePasswordCheck(
            peer: session.peer, peerHost: session.peerHost, conn: session.id, connectionBucket: &session.passwordBucket)
        {
            return session.send(.error(refusal, command: "passwd"))
        }
        let reply = desk.waiting(session, command: "passwd")
        hashing.submit(for: session.peerHost, { Result { try PasswordHasher.hash(password) } }) { [self] hashed in
            guard case .success(let hash) = hashed else {
                log.error("hash_failed", ["conn": session.id])
                session.send(.error(WireError(.storage, "could not change the password; try again"), command: "passwd"))
                return reply.finish()
            }
            storage.perform({ store -> Int in
                try store.setPasswordHash(user.id, hash)
                // The web door's sessions end with the others (their cookies no longer sign anyone in).
                return logoutOthers ? try store.deleteWebSessions(of: user.id) : 0
            }) { [self] result in
                switch result {
                case .success(let webSessions):
                    let others = (directory.sessionsByUser[user.id] ?? []).filter { $0 !== session }
                    let ended = logoutOthers ? others.count + webSessions : 0
                    log.info(
                        "password_changed",
                        [
                            "conn": session.id, "user": user.name, "peer": session.peer,
                            "ended": ended,
                        ])
                    let message: String
                    if logoutOthers {
                        for other in others {
                            other.send(
                                .bye(
                                    reason: "password_changed", message: "your password was changed in another session")
                            )
                            other.startLeaving()
                            other.output.closeAfterFlush(reason: .quit)
                        }
                        message = "password changed; \(ended) other session\(ended == 1 ? "" : "s") ended"
                    } else if others.isEmpty {
                        message = "password changed"
                    } else {
                        message =
                            "password changed; your \(others.count) other session\(others.count == 1 ? " stays" : "s stay") logged in"
                            + " (/passwd --logout-others would have ended \(others.count == 1 ? "it" : "them"))"
                    }
                    session.send(
                        .ok(
                            Ack(
                                command: "passwd", message: message,
                                fields: [
                                    .int("ended", Int64(ended)),
                                    .int("others", Int64(logoutOthers ? 0 : others.count)),
                                ])))
                case .failure(let error):
                    desk.storageFailed(error, command: "passwd", for: session)
                }
                reply.finish()
            }
        }
    }
}
