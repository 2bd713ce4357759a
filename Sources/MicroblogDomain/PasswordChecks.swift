import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Checking a name and password (for `/login`, `/delete-account` and the SSH door) and signing in.
extension Accounts {
    /// What checking a name and password came to (see `checkPassword`).
    enum PasswordVerdict {
        case accepted(StoredAccount, ViewerRelations)
        case banned(reason: String)
        case wrong
        case storage(StoreError)
    }

    /// `admitPasswordCheck` then `checkPassword` for a session's own `command`: a refusal is sent as the
    /// command's error; otherwise the command waits, and `done` gets the verdict with its reply still due.
    func checkPassword(
        name: String, password: String, for session: Session, command: String,
        _ done: @escaping (PasswordVerdict, CommandReply) -> Void
    ) {
        if let refusal = limits.admitPasswordCheck(
            name: name, peer: session.peer, peerHost: session.peerHost, conn: session.id,
            connectionBucket: &session.passwordBucket)
        {
            return session.send(.error(refusal, command: command))
        }
        let reply = desk.waiting(session, command: command)
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
                    if throttled { limits.recordLoginSuccess(nameKey: key, peerHost: peerHost) }
                    done(.accepted(account, relations))
                } else {
                    // The account tried (as typed, if there is none), so an operator sees which one is attacked.
                    let tried = account?.user.name ?? TextSafety.printable(name.prefix(32))
                    log.info("login_failed", ["conn": conn, "peer": peer, "user": tried], limitKey: "login_failed")
                    if throttled {
                        limits.recordLoginFailure(nameKey: key, host: peerHost)
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

    /// Signs `session` in as `account` (its relations as just read) after its password or key was accepted,
    /// and logs it. Returns when the account was last seen, if it had no other session open.
    func signIn(
        _ session: Session, as account: StoredAccount, relations: ViewerRelations, method: String
    ) -> Timestamp? {
        // Away since the last session ended, unless another session is still open.
        let awaySince = directory.sessionsByUser[account.user.id] == nil ? account.lastSeen : nil
        directory.signIn(
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
        // Never seen before, nor online now: an account made by `microblogd account create`, or by an
        // invitation's owner, logging in for the first time.
        let first = account.lastSeen == nil && directory.sessionsByUser[account.user.id] == nil
        let awaySince = signIn(session, as: account, relations: relations, method: method)
        let name = account.user.name
        session.send(
            .ok(
                Ack(
                    command: command,
                    message: first
                        ? "welcome, \(name)! this is your first login; /help lists commands" : "welcome back, \(name)",
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
}
