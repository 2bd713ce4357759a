import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/register`, `/login` and `/logout`. Password checks are in `PasswordChecks.swift`, the hidden prompt
/// in `PasswordPrompt.swift`.
extension Accounts {
    func register(name: String, password: String?, for session: Session) {
        queue.checkConfined()
        if let user = session.user {
            return session.send(.error(alreadyLoggedIn(user), command: "register"))
        }
        guard passwordsAllowed(for: session, command: "register"),
            let (invite, typed) = registrationInvite(password, for: session),
            nameMayBeRegistered(name, for: session)
        else { return }
        guard let password = AccountRules.typedPassword(typed) else {
            return askForNewPassword(name: name, invite: invite, for: session)
        }
        createAccount(name: name, password: password, invite: invite, for: session)
    }

    /// The invite code (`--registration invite`: `/register NAME CODE [PASSWORD]`, the code the word after
    /// the name) and the password typed after it, if any; nil (and the refusal sent) when registration is
    /// closed or the code is missing or malformed.
    private func registrationInvite(_ typed: String?, for session: Session) -> (invite: String?, password: String?)? {
        switch settings.registration {
        case .open:
            return (nil, typed)
        case .closed:
            session.send(
                .error(
                    WireError(.registrationClosed, "new accounts are not made over the wire here; ask the operator"),
                    command: "register"))
            return nil
        case .invite:
            let words = (typed ?? "").split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard let code = words.first else {
                session.send(
                    .error(
                        WireError(
                            .inviteRequired,
                            "this community is by invitation: /register NAME CODE"),
                        command: "register"))
                return nil
            }
            guard let invite = InviteCode.normalized(String(code)) else {
                session.send(
                    .error(
                        WireError(.badInvite, "that is not an invite code (like 7KX2-M9QP): /register NAME CODE"),
                        command: "register"))
                return nil
            }
            return (invite, words.count > 1 ? String(words[1]) : nil)
        }
    }

    /// False (and the refusal sent) when `name` breaks the naming rules or is, or looks like, an
    /// administrator's: those are the operator's to create (`account create`).
    private func nameMayBeRegistered(_ name: String, for session: Session) -> Bool {
        if case .failure(let error) = AccountRules.validateName(name) {
            session.send(.error(error, command: "register"))
            return false
        }
        let key = AccountRules.nameKey(name)
        if settings.admins.contains(where: { AccountRules.nameKey($0) == key }) {
            session.send(
                .error(
                    WireError(.nameTaken, "the name \(name) is reserved for an administrator; choose another"),
                    command: "register"))
            return false
        }
        return true
    }

    /// Says at once when the name is taken (or held after its account's deletion), before asking for a
    /// password; otherwise asks for one at a hidden prompt.
    private func askForNewPassword(name: String, invite: String?, for session: Session) {
        let reply = desk.waiting(session, command: "register")
        let hold = settings.deletedNameHold
        let now = Timestamp.now()
        storage.perform({ store in try Self.storedAvailability(of: name, in: store, hold: hold, now: now) }) {
            [self] result in
            switch result {
            case .success(let availability):
                if let error = availability.registerError(name) {
                    session.send(.error(error, command: "register"))
                } else {
                    startPrompt(.newPassword(name: name, invite: invite), text: "Choose a password: ", for: session)
                }
            case .failure(let error):
                desk.storageFailed(error, command: "register", for: session)
            }
            reply.finish()
        }
    }

    func login(name: String, password: String?, for session: Session) {
        queue.checkConfined()
        if let user = session.user {
            return session.send(.error(alreadyLoggedIn(user), command: "login"))
        }
        guard passwordsAllowed(for: session, command: "login") else { return }
        guard let password = AccountRules.typedPassword(password) else {
            return startPrompt(.loginPassword(name: name), text: "Password: ", for: session)
        }
        verifyLogin(name: name, password: password, for: session)
    }

    func logout(_ user: User, for session: Session) {
        queue.checkConfined()
        directory.signOut(session)
        // Without an account there is nobody to follow: back to every post (hashtags are kept).
        if session.watch.mode == .following {
            directory.setWatch(WatchSetting(mode: .all, tags: session.watch.tags), for: session)
        }
        log.info("logout", ["conn": session.id, "user": user.name])
        session.send(.ok(Ack(command: "logout", message: "logged out; see you, \(user.name)")))
    }

    func createAccount(name: String, password: String, invite: String?, for session: Session) {
        guard admitNewAccount(password: password, for: session) else { return }
        let reply = desk.waiting(session, command: "register")
        hashing.submit(for: session.peerHost, { Result { try PasswordHasher.hash(password) } }) { [self] hashed in
            guard case .success(let hash) = hashed else {
                log.error("hash_failed", ["conn": session.id])
                session.send(
                    .error(WireError(.storage, "could not create the account; try again"), command: "register"))
                return reply.finish()
            }
            storeNewAccount(name: name, hash: hash, invite: invite, for: session, reply)
        }
    }

    /// The checks before a new account's password is hashed: the password's rules, the address's
    /// registrations and its password checks. False (and the refusal sent) when one fails.
    private func admitNewAccount(password: String, for session: Session) -> Bool {
        if case .failure(let error) = AccountRules.validatePassword(password) {
            session.send(.error(error, command: "register"))
            return false
        }
        if let wait = limits.takeRegistration(from: session.peerHost) {
            log.info(
                "register_limited", ["conn": session.id, "peer": session.peer],
                limitKey: "register_limited \(session.peerHost)")
            session.send(
                .error(
                    WireError(.rateLimited, "too many new accounts from your address", retryAfter: wait),
                    command: "register"))
            return false
        }
        if let refusal = limits.takePasswordCheck(
            peer: session.peer, peerHost: session.peerHost, conn: session.id,
            connectionBucket: &session.passwordBucket)
        {
            session.send(.error(refusal, command: "register"))
            return false
        }
        return true
    }

    /// Creates the account with its hashed password (releasing the name first if its hold is over, and
    /// using up `invite`), then signs the session in; `reply` is finished when done.
    private func storeNewAccount(
        name: String, hash: String, invite: String?, for session: Session, _ reply: CommandReply
    ) {
        let now = Timestamp.now()
        let heldSince = Timestamp(milliseconds: now.milliseconds - Int64(settings.deletedNameHold * 1000))
        storage.perform({ store in
            let key = AccountRules.nameKey(name)
            // A deleted account's name is free again once its hold is over.
            try store.releaseDeletedName(nameKey: key, deletedBefore: heldSince)
            let user =
                try invite.map {
                    try store.createUser(name: name, nameKey: key, passwordHash: hash, at: now, invite: $0)
                }
                ?? store.createUser(name: name, nameKey: key, passwordHash: hash, at: now)
            // Seen from now on: only an account made by `microblogd account create` logs in unseen, and is
            // greeted as new then. Failing, it costs only that greeting: the account is made.
            try? store.setLastSeen(user.id, now)
            return user
        }) { [self] result in
            switch result {
            case .success(let user):
                welcomeNewAccount(user, for: session)
            case .failure(.nameTaken):
                session.send(.error(nameTaken(name), command: "register"))
            case .failure(.inviteInvalid):
                session.send(
                    .error(
                        WireError(.badInvite, "that invite code is unknown or was used already"), command: "register"))
            case .failure(let error):
                desk.storageFailed(error, command: "register", for: session)
            }
            reply.finish()
        }
    }

    /// Signs a just-created account in; the guest's live-feed choice becomes the account's.
    private func welcomeNewAccount(_ user: User, for session: Session) {
        directory.signIn(session, as: user, watch: session.watch, relations: ViewerRelations())
        if session.watch != .all {
            let stored = session.watch.stored
            storage.perform({ store in try store.setWatch(user.id, stored) }) { _ in }
        }
        log.info(
            "register", ["conn": session.id, "user": user.name, "peer": session.peer, "door": session.door.rawValue])
        session.send(
            .ok(
                Ack(
                    command: "register", message: "welcome, \(user.name)! you are registered and logged in",
                    fields: [.string("name", user.name)])))
    }

    func verifyLogin(name: String, password: String, for session: Session) {
        checkPassword(name: name, password: password, for: session, command: "login") { [self] verdict, reply in
            switch verdict {
            case .storage(let error):
                desk.storageFailed(error, command: "login", for: session)
            case .banned(let reason):
                // Said only to someone who knows the password.
                session.send(.error(WireError(.banned, "this account is banned: \(reason)"), command: "login"))
            case .wrong:
                session.send(.error(WireError(.badLogin, "wrong name or password"), command: "login"))
            case .accepted(let account, let relations):
                if let awaySince = loggedIn(session, as: account, relations: relations, command: "login") {
                    return notifications.summarizeAbsence(of: account.user, since: awaySince, for: session, reply)
                }
            }
            reply.finish()
        }
    }

    // MARK: - Shared errors

    func alreadyLoggedIn(_ user: User) -> WireError {
        WireError(.alreadyLoggedIn, "you are logged in as \(user.name); /logout first")
    }

    private func nameTaken(_ name: String) -> WireError {
        WireError(.nameTaken, "the name \(name) is taken; choose another")
    }
}
