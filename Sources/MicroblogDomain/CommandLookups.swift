import MicroblogModel
import MicroblogStorage

/// Looking up what a command names (an account, a post) and answering `no_such_user` or `no_such_post`
/// when there is none: what every service's commands start with.
extension CommandDesk {
    /// Looks `name` up and runs `body` with the account and the waiting command's reply, which `body`
    /// finishes; answers `no_such_user` itself.
    func withUser(
        named name: String, command: String, for session: Session, _ body: @escaping (User, CommandReply) -> Void
    ) {
        guard case .success = AccountRules.validateName(name) else {
            return session.send(.error(noSuchUser(name), command: command))
        }
        let reply = waiting(session, command: command)
        storage.perform({ store in try store.user(named: name) }) { [self] result in
            switch result {
            case .success(let user?):
                body(user, reply)
            case .success(nil):
                session.send(.error(noSuchUser(name), command: command))
                reply.finish()
            case .failure(let error):
                storageFailed(error, command: command, for: session)
                reply.finish()
            }
        }
    }

    func noSuchUser(_ name: String) -> WireError {
        WireError(.noSuchUser, "nobody is called \(TextSafety.printable(name.prefix(32)))")
    }

    /// Looks a post up and runs `body` with it and the waiting command's reply, which `body` finishes;
    /// answers `no_such_post` itself.
    func withPost(_ id: Int64, command: String, for session: Session, _ body: @escaping (Post, CommandReply) -> Void) {
        let reply = waiting(session, command: command)
        storage.perform({ store in try store.post(id: id) }) { [self] result in
            switch result {
            case .success(let post?):
                body(post, reply)
            case .success(nil):
                session.send(.error(noSuchPost(id), command: command))
                reply.finish()
            case .failure(let error):
                storageFailed(error, command: command, for: session)
                reply.finish()
            }
        }
    }

    func noSuchPost(_ id: Int64) -> WireError {
        WireError(.noSuchPost, "there is no post #\(id)")
    }
}
