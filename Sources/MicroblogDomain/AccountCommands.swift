import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/register`, `/login`, `/logout` and the hidden password prompt.
extension Microblog {
    func register(name: String, password: String?, for session: Session) {
        if let user = session.user {
            return session.send(.error(alreadyLoggedIn(user), command: "register"))
        }
        guard passwordsAllowed(for: session, command: "register") else { return }
        var password = password
        var invite: String?
        switch settings.registration {
        case .open: break
        case .closed:
            return session.send(
                .error(
                    WireError(.registrationClosed, "new accounts are not made over the wire here; ask the operator"),
                    command: "register"))
        case .invite:
            // `/register NAME CODE [PASSWORD]`: the code is the word after the name.
            let words = (password ?? "").split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard let typed = words.first else {
                return session.send(
                    .error(
                        WireError(
                            .inviteRequired,
                            "this community is by invitation: /register NAME CODE"),
                        command: "register"))
            }
            guard let code = InviteCode.normalized(String(typed)) else {
                return session.send(
                    .error(
                        WireError(.badInvite, "that is not an invite code (like 7KX2-M9QP): /register NAME CODE"),
                        command: "register"))
            }
            invite = code
            password = words.count > 1 ? String(words[1]) : nil
        }
        if case .failure(let error) = AccountRules.validateName(name) {
            return session.send(.error(error, command: "register"))
        }
        // An administrator's name, and its look-alikes, are the operator's to create (`account create`).
        let key = AccountRules.nameKey(name)
        if settings.admins.contains(where: { AccountRules.nameKey($0) == key }) {
            return session.send(
                .error(
                    WireError(.nameTaken, "the name \(name) is reserved for an administrator; choose another"),
                    command: "register"))
        }
        guard let password = AccountRules.typedPassword(password) else {
            // Say at once when the name is taken, before asking for a password.
            let reply = waiting(session, command: "register")
            let hold = settings.deletedNameHold
            let now = Timestamp.now()
            // A name held after its account's deletion is refused here too, not after the password.
            storage.perform({ store in try Self.storedAvailability(of: name, in: store, hold: hold, now: now) }) {
                [self] result in
                switch result {
                case .success(let availability):
                    if let error = availability.registerError(name) {
                        session.send(.error(error, command: "register"))
                    } else {
                        startPrompt(
                            .newPassword(name: name, invite: invite), text: "Choose a password: ", for: session)
                    }
                case .failure(let error):
                    storageFailed(error, command: "register", for: session)
                }
                reply.finish()
            }
            return
        }
        createAccount(name: name, password: password, invite: invite, for: session)
    }

    func login(name: String, password: String?, for session: Session) {
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
        signOut(session)
        // Without an account there is nobody to follow: back to every post (hashtags are kept).
        if session.watch.mode == .following {
            setWatch(WatchSetting(mode: .all, tags: session.watch.tags), for: session)
        }
        log.info("logout", ["conn": session.id, "user": user.name])
        session.send(.ok(Ack(command: "logout", message: "logged out; see you, \(user.name)")))
    }

    private func createAccount(name: String, password: String, invite: String?, for session: Session) {
        if case .failure(let error) = AccountRules.validatePassword(password) {
            return session.send(.error(error, command: "register"))
        }
        if settings.registrationsPerHour > 0 {
            let now = MonotonicClock.now()
            var bucket =
                registrationBuckets[session.peerHost]
                ?? TokenBucket(
                    rate: settings.registrationsPerHour / 3600, burst: settings.registrationsPerHour, now: now)
            let wait = bucket.take(now: now)
            registrationBuckets[session.peerHost] = bucket
            if let wait {
                log.info(
                    "register_limited", ["conn": session.id, "peer": session.peer],
                    limitKey: "register_limited \(session.peerHost)")
                return session.send(
                    .error(
                        WireError(.rateLimited, "too many new accounts from your address", retryAfter: wait),
                        command: "register"))
            }
        }
        if let refusal = takePasswordCheck(
            peer: session.peer, peerHost: session.peerHost, conn: session.id,
            connectionBucket: &session.passwordBucket)
        {
            return session.send(.error(refusal, command: "register"))
        }
        let reply = waiting(session, command: "register")
        hashing.submit(for: session.peerHost, { Result { try PasswordHasher.hash(password) } }) { [self] hashed in
            guard case .success(let hash) = hashed else {
                log.error("hash_failed", ["conn": session.id])
                session.send(
                    .error(WireError(.storage, "could not create the account; try again"), command: "register"))
                return reply.finish()
            }
            let now = Timestamp.now()
            let heldSince = Timestamp(milliseconds: now.milliseconds - Int64(settings.deletedNameHold * 1000))
            storage.perform({ store in
                let key = AccountRules.nameKey(name)
                // A deleted account's name is free again once its hold is over.
                try store.releaseDeletedName(nameKey: key, deletedBefore: heldSince)
                if let invite {
                    return try store.createUser(name: name, nameKey: key, passwordHash: hash, at: now, invite: invite)
                }
                return try store.createUser(name: name, nameKey: key, passwordHash: hash, at: now)
            }) { [self] result in
                switch result {
                case .success(let user):
                    signIn(session, as: user, watch: session.watch, relations: ViewerRelations())
                    if session.watch != .all {
                        // The guest's choice becomes the account's.
                        let stored = session.watch.stored
                        storage.perform({ store in try store.setWatch(user.id, stored) }) { _ in }
                    }
                    log.info(
                        "register",
                        ["conn": session.id, "user": user.name, "peer": session.peer, "door": session.door.rawValue])
                    session.send(
                        .ok(
                            Ack(
                                command: "register", message: "welcome, \(user.name)! you are registered and logged in",
                                fields: [.string("name", user.name)])))
                case .failure(.nameTaken):
                    session.send(.error(nameTaken(name), command: "register"))
                case .failure(.inviteInvalid):
                    session.send(
                        .error(
                            WireError(.badInvite, "that invite code is unknown or was used already"),
                            command: "register"))
                case .failure(let error):
                    storageFailed(error, command: "register", for: session)
                }
                reply.finish()
            }
        }
    }

    private func verifyLogin(name: String, password: String, for session: Session) {
        checkPassword(name: name, password: password, for: session, command: "login") { [self] verdict, reply in
            switch verdict {
            case .storage(let error):
                storageFailed(error, command: "login", for: session)
            case .banned(let reason):
                // Said only to someone who knows the password.
                session.send(.error(WireError(.banned, "this account is banned: \(reason)"), command: "login"))
            case .wrong:
                session.send(.error(WireError(.badLogin, "wrong name or password"), command: "login"))
            case .accepted(let account, let relations):
                if let awaySince = loggedIn(session, as: account, relations: relations, command: "login") {
                    return summarizeAbsence(of: account.user, since: awaySince, for: session, reply)
                }
            }
            reply.finish()
        }
    }

    /// What checking a name and password came to (see `checkPassword`).
    enum PasswordVerdict {
        case accepted(StoredAccount, ViewerRelations)
        case banned(reason: String)
        case wrong
        case storage(StoreError)
    }

    /// The throttles and budgets a password check must pass before any hashing, for every door: failed
    /// logins are counted per address (past a few, each attempt from it must wait) and per name (see
    /// `AccountGuard`: a guarded name takes one attempt per address per `retryAfter`), and every check
    /// draws on the connection's share and its address's budget (`takePasswordCheck`). Returns the
    /// refusal to give, or nil when the check may go ahead.
    func admitPasswordCheck(
        name: String, peer: String, peerHost: String, conn: Int, connectionBucket: inout TokenBucket?
    ) -> WireError? {
        let key = AccountRules.nameKey(name)
        let now = MonotonicClock.now()
        if settings.loginFreeFailures > 0,
            let wait = loginThrottle.wait(for: ["peer:" + peerHost], now: now)
                ?? accountGuard.admit(name: key, peer: peerHost, now: now)
        {
            log.info(
                "login_throttled", ["conn": conn, "peer": peer, "user": name], limitKey: "login_throttled \(peerHost)")
            return WireError(.throttled, "too many failed logins for this name or address", retryAfter: wait)
        }
        return takePasswordCheck(peer: peer, peerHost: peerHost, conn: conn, connectionBucket: &connectionBucket)
    }

    /// `admitPasswordCheck` then `checkPassword` for a session's own `command`: a refusal is sent as the
    /// command's error; otherwise the command waits, and `done` gets the verdict with its reply still due.
    func checkPassword(
        name: String, password: String, for session: Session, command: String,
        _ done: @escaping (PasswordVerdict, CommandReply) -> Void
    ) {
        if let refusal = admitPasswordCheck(
            name: name, peer: session.peer, peerHost: session.peerHost, conn: session.id,
            connectionBucket: &session.passwordBucket)
        {
            return session.send(.error(refusal, command: command))
        }
        let reply = waiting(session, command: command)
        checkPassword(name: name, password: password, peer: session.peer, peerHost: session.peerHost, conn: session.id)
        { verdict in done(verdict, reply) }
    }

    /// Checks `password` against the account called `name` (after `admitPasswordCheck`), on the hashing
    /// pool, and records the outcome in the throttles; `done` runs on the server queue. Unknown names are
    /// checked against a decoy hash, so they cost as much as a wrong password.
    func checkPassword(
        name: String, password: String, peer: String, peerHost: String, conn: Int,
        _ done: @escaping (PasswordVerdict) -> Void
    ) {
        let key = AccountRules.nameKey(name)
        // The account's relations come with it, so its live filter is right from the first post on.
        storage.perform({ store -> (StoredAccount?, ViewerRelations) in
            let account = try store.account(named: name)
            return (account, try account.map { try store.relations(of: $0.user.id) } ?? ViewerRelations())
        }) { [self] result in
            let account: StoredAccount?
            let relations: ViewerRelations
            switch result {
            case .failure(let error): return done(.storage(error))
            case .success(let found): (account, relations) = found
            }
            let storedHash = account?.passwordHash
            hashing.submit(
                for: peerHost, { PasswordHasher.verify(password, against: storedHash ?? PasswordHasher.decoyHash) }
            ) { [self] matches in
                let throttled = settings.loginFreeFailures > 0
                if let account, matches, let reason = account.bannedReason {
                    log.info(
                        "login_banned", ["conn": conn, "user": account.user.name, "peer": peer],
                        limitKey: "login_banned \(peerHost)")
                    done(.banned(reason: reason))
                } else if let account, matches {
                    if throttled { accountGuard.recordSuccess(name: key, peer: peerHost) }
                    done(.accepted(account, relations))
                } else {
                    // The account tried (as typed, if there is none), so an operator sees which one is attacked.
                    let tried = account?.user.name ?? TextSafety.printable(name.prefix(32))
                    log.info("login_failed", ["conn": conn, "peer": peer, "user": tried], limitKey: "login_failed")
                    if throttled {
                        recordLoginFailure(nameKey: key, host: peerHost)
                        // The other nodes hold back the same account and address (see `ClusterEvent`).
                        let event = ClusterEvent.loginFailed(nameKey: key, host: peerHost)
                        storage.perform({ store in try store.announceNow(event) }) { [self] result in
                            if case .failure(let error) = result {
                                log.warn("cluster_announce_failed", ["error": "\(error)"], limitKey: "cluster_announce")
                            }
                        }
                    }
                    done(.wrong)
                }
            }
        }
    }

    /// Counts a failed password check for the account and the address in the login delays, whichever
    /// node it failed on.
    func recordLoginFailure(nameKey: String, host: String) {
        let failedAt = MonotonicClock.now()
        loginThrottle.recordFailure(["peer:" + host], now: failedAt)
        accountGuard.recordFailure(name: nameKey, now: failedAt)
    }

    /// Signs `session` in as `account` (its relations as just read) after its password or key was accepted,
    /// and logs it. Returns when the account was last seen, if it had no other session open.
    func signIn(
        _ session: Session, as account: StoredAccount, relations: ViewerRelations, method: String
    ) -> Timestamp? {
        // Away since the last session ended, unless another session is still open.
        let awaySince = sessionsByUser[account.user.id] == nil ? account.lastSeen : nil
        signIn(
            session, as: account.user, keptApart: account.keptApart,
            watch: WatchSetting(stored: account.watch) ?? .all, relations: relations)
        // The remembered zone; a name the system's zone database no longer has falls back to UTC.
        session.viewer?.zone = account.timeZone.isEmpty ? nil : ReaderZone(named: account.timeZone)
        session.catchUpSince = awaySince
        log.info(
            "login",
            [
                "conn": session.id, "user": account.user.name, "peer": session.peer, "door": session.door.rawValue,
                "method": method,
            ])
        return awaySince
    }

    /// Signs `session` in as `account` after its password or key was accepted, logs it and welcomes the
    /// account. Returns when the account was last seen, if it had no other session open (its absence is
    /// then summarized by the caller).
    func loggedIn(
        _ session: Session, as account: StoredAccount, relations: ViewerRelations, command: String,
        method: String = "password"
    ) -> Timestamp? {
        let awaySince = signIn(session, as: account, relations: relations, method: method)
        session.send(
            .ok(
                Ack(
                    command: command, message: "welcome back, \(account.user.name)",
                    fields: [.string("name", account.user.name)])))
        return awaySince
    }

    /// False (and says so, naming the secure doors) when passwords may not cross this session's door:
    /// `--plaintext-passwords deny` and the plain port. Checked before any prompt, so nothing is typed.
    func passwordsAllowed(for session: Session, command: String) -> Bool {
        guard let doors = passwordDoorsElsewhere(for: session) else { return true }
        session.send(
            .error(
                WireError(
                    .plaintextDenied,
                    "passwords are not accepted on this unencrypted port; connect with \(doors) to log in or"
                        + " register (reading and watching work here)"), command: command))
        return false
    }

    /// Where to go to type a password, when `session`'s door may not carry one (`--plaintext-passwords
    /// deny` and the plain port); nil when it may.
    func passwordDoorsElsewhere(for session: Session) -> String? {
        guard !settings.plaintextPasswords, session.door == .plain else { return nil }
        return secureDoors.isEmpty ? "a secure door" : secureDoors.joined(separator: " or ")
    }

    /// Takes one password check from the connection's share and from its address's budget, or says
    /// how long to wait. Hashing is the costliest thing a client can ask for, so even correct logins
    /// draw on it: one address looping `/login` and `/logout` cannot keep the cores busy.
    func takePasswordCheck(
        peer: String, peerHost: String, conn: Int, connectionBucket bucket: inout TokenBucket?
    ) -> WireError? {
        let perMinute = settings.passwordChecksPerMinute
        guard perMinute > 0 else { return nil }
        let now = MonotonicClock.now()
        var address = passwordBuckets[peerHost] ?? TokenBucket(rate: perMinute / 60, burst: perMinute, now: now)
        // A connection's share starts full at its first check, as it would have been since it opened.
        let perConnection = settings.passwordChecksPerConnectionPerMinute
        var connectionBucket = bucket ?? TokenBucket(rate: perConnection / 60, burst: perConnection, now: now)
        defer { bucket = connectionBucket }
        let refusal = TokenBucket.takeShared(connection: &connectionBucket, address: &address, now: now)
        passwordBuckets[peerHost] = address
        guard let (wait, whose) = refusal else { return nil }
        log.info(
            "password_checks_limited", ["conn": conn, "peer": peer, "by": whose], limitKey: "password_checks_limited")
        return WireError(.rateLimited, "too many password checks from \(whose)", retryAfter: wait)
    }

    // MARK: - The password prompt

    /// Asks for a hidden value. Telnet clients are told to stop echoing (IAC WILL ECHO); others are
    /// warned that their terminal will show what they type.
    func startPrompt(_ prompt: Session.Prompt, text: String, for session: Session) {
        // An SSH one-shot command has no input to answer with (its stdin is not read): say so.
        guard !session.runsOneCommand else {
            return session.send(
                .error(
                    WireError(
                        .badUsage,
                        "that asks for a password, which a one-shot command cannot answer; run it in a session"
                            + " (ssh without a command)"), command: nil))
        }
        session.pendingPrompt = PendingPrompt(prompt: prompt, started: MonotonicClock.now())
        session.live.holding = true
        switch session.mode {
        case .json:
            session.send(.prompt(field: prompt.field, text: text))
        case .text:
            let hidden = session.terminal.hideInput(prompt: text)
            if case .masked(let redraw) = hidden {
                // Character mode already echoes nothing by itself: the editor shows stars.
                return session.sendRaw(redraw)
            }
            if case .echoOff(let bytes) = hidden {
                session.sendRaw(bytes)
            } else if case .repeatPassword = prompt {
                // Already warned.
            } else if case .changedPassword = prompt {
                // Already warned.
            } else if case .repeatChangedPassword = prompt {
                // Already warned.
            } else {
                session.send(.notice("your terminal will show what you type; an empty line cancels"))
            }
            session.send(.prompt(field: prompt.field, text: text))
        }
    }

    /// Leaves prompt mode and gives echo back. Live posts held meanwhile follow the command's reply.
    func endPrompt(_ session: Session) {
        session.pendingPrompt = nil
        // The client's echo back, and the Enter it did not echo either.
        session.sendRaw(session.terminal.showInput())
    }

    /// Gives up a prompt nobody answered within `promptTimeout`.
    func timeOutPrompt(_ session: Session) {
        guard let prompt = session.prompt else { return }
        endPrompt(session)
        let command = prompt.command
        session.send(
            .error(
                WireError(.promptTimeout, "no answer within \(Int(settings.promptTimeout)) s; /\(command) again"),
                command: command))
    }

    func answerPrompt(_ prompt: Session.Prompt, with line: String, for session: Session) {
        let value = AccountRules.typedPassword(line) ?? ""
        if value.isEmpty, prompt.command == "register" {
            endPrompt(session)
            return session.send(.error(WireError(.badPassword, "registration cancelled"), command: "register"))
        }
        switch prompt {
        case .loginPassword(let name):
            endPrompt(session)
            if value.isEmpty {
                return session.send(.error(WireError(.badLogin, "login cancelled"), command: "login"))
            }
            verifyLogin(name: name, password: value, for: session)
        case .newPassword(let name, let invite):
            if case .failure(let error) = AccountRules.validatePassword(value) {
                endPrompt(session)
                return session.send(.error(error, command: "register"))
            }
            if session.isTelnetLike && session.mode == .text && !session.terminal.isCharacterMode {
                session.sendRaw([13, 10])
            }
            startPrompt(
                .repeatPassword(name: name, password: value, invite: invite), text: "Repeat the password: ",
                for: session)
        case .repeatPassword(let name, let password, let invite):
            endPrompt(session)
            guard value == password else {
                return session.send(
                    .error(
                        WireError(.passwordMismatch, "the two passwords differ; nothing was created"),
                        command: "register"))
            }
            createAccount(name: name, password: password, invite: invite, for: session)
        case .currentPassword, .changedPassword, .repeatChangedPassword:
            answerPasswordChange(prompt, with: value, for: session)
        case .deleteAccountPassword:
            endPrompt(session)
            confirmDeletion(password: value, for: session)
        }
    }

    // MARK: - Shared errors

    func alreadyLoggedIn(_ user: User) -> WireError {
        WireError(.alreadyLoggedIn, "you are logged in as \(user.name); /logout first")
    }

    private func nameTaken(_ name: String) -> WireError {
        WireError(.nameTaken, "the name \(name) is taken; choose another")
    }

    func storageFailed(_ error: StoreError, command: String, for session: Session) {
        if error == .accountDeleted {
            // Not a fault: the account was deleted (in another session, or on another node) first.
            return session.send(
                .error(
                    WireError(.accountDeleted, "your account was deleted; that \(command) was not saved"),
                    command: command))
        }
        if error == .otherAccountDeleted {
            return session.send(
                .error(
                    WireError(.noSuchUser, "that account was just deleted; the \(command) was not saved"),
                    command: command))
        }
        logStorageFault(error, command: command, conn: session.id)
        session.send(.error(.storage(error.fault), command: command))
    }
}

extension Session.Prompt {
    /// The command that asked.
    var command: String {
        switch self {
        case .loginPassword: return "login"
        case .newPassword, .repeatPassword: return "register"
        case .currentPassword, .changedPassword, .repeatChangedPassword: return "passwd"
        case .deleteAccountPassword: return "delete-account"
        }
    }

    var field: String {
        switch self {
        case .loginPassword, .newPassword, .currentPassword, .deleteAccountPassword: return "password"
        case .repeatPassword: return "repeat_password"
        case .changedPassword: return "new_password"
        case .repeatChangedPassword: return "repeat_new_password"
        }
    }
}
