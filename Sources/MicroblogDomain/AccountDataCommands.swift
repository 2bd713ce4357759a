import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/delete-account`: an account's data belongs to its person, to remove (or to take away: `AccountExports`).
extension Accounts {
    /// `/delete-account`: the password once more, at a hidden prompt, before anything is removed.
    func deleteAccount(_ user: User, for session: Session) {
        queue.checkConfined()
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
                        desk.storageFailed(error, command: "delete-account", for: session)
                    }
                    reply.finish()
                }
                return
            case .storage(let error):
                desk.storageFailed(error, command: "delete-account", for: session)
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
        directory.forgetName(user.id)  // no longer offered by Tab
        if session.user?.id == user.id {
            directory.signOut(session)
            if session.watch.mode == .following {
                directory.setWatch(WatchSetting(mode: .all, tags: session.watch.tags), for: session)
            }
        }
        let days = Int((settings.deletedNameHold / 86_400).rounded())
        session.send(
            .ok(
                Ack(
                    command: "delete-account",
                    message:
                        "your account \(user.name) is deleted, with \(ids.count) post\(ids.count == 1 ? "" : "s"); the name is held for \(days) day\(days == 1 ? "" : "s"); you go on as a guest here (/quit leaves)",
                    fields: [
                        .string("name", user.name), .int("posts", Int64(ids.count)), .int("held_days", Int64(days)),
                    ])))
        if !ids.isEmpty { hub.broadcast(EncodedEvent(.deleted(ids: ids), at: .now())) }
    }

    /// Ends every session of a deleted account on this node (but `excluded`, which carries on as a guest).
    func endSessions(ofDeleted userID: Int64, excluding excluded: Session? = nil) {
        for other in directory.sessionsByUser[userID] ?? [] where other !== excluded {
            other.send(.bye(reason: "account_deleted", message: "this account was deleted in another session"))
            other.startLeaving()
            other.output.closeAfterFlush(reason: .quit)
        }
    }
}
