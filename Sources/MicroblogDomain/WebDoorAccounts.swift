import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// What the web door does for people who sign in on its pages: signing in with a name and password
/// (through the same throttles, budgets and hashing pool as `/login`), posting, and signing out. A web
/// client has no session here: the door finds its account by its cookie and names the client's address.
/// Each entry point runs on the server queue and calls back there.
extension Microblog {
    /// Checks `password` for `name` as `/login` does, for the client at `host`, whose request came over
    /// HTTPS (through a trusted proxy) when `secure`. On success a web session is recorded and its new
    /// token (for the cookie) is given back with the account. Refusals are `WireError`s with `/login`'s codes:
    /// `plaintext_denied` (`--plaintext-passwords deny` and no HTTPS), `throttled`, `rate_limited`,
    /// `bad_login`, `banned`, `storage`, `shutting_down`.
    public func signInFromWeb(
        name: String, password: String, host: String, secure: Bool,
        completion: @escaping (Result<(user: User, token: String), WireError>) -> Void
    ) {
        checkConfined()
        if !settings.plaintextPasswords && !secure {
            return completion(
                .failure(
                    WireError(
                        .plaintextDenied,
                        "passwords are accepted only over HTTPS here; open this page with https:// to sign in")))
        }
        if desk.shuttingDown {
            return completion(.failure(WireError(.shuttingDown, "the server is shutting down; try again in a moment")))
        }
        // No connection lasts from one sign-in to the next on the web: the address's budget is the limit.
        var noConnectionShare: TokenBucket? = nil
        if let refusal = limits.admitPasswordCheck(
            name: name, peer: host, peerHost: host, conn: 0, connectionBucket: &noConnectionShare)
        {
            return completion(.failure(refusal))
        }
        accounts.checkPassword(name: name, password: password, peer: host, peerHost: host, conn: 0) { [self] verdict in
            switch verdict {
            case .wrong:
                completion(.failure(WireError(.badLogin, "wrong name or password")))
            case .banned(let reason):
                completion(.failure(WireError(.banned, "this account is banned: \(reason)")))
            case .storage(let error):
                completion(.failure(Self.webStorageError(error)))
            case .accepted(let account, _):
                let token = SessionToken.make()
                let stored = SessionToken.stored(token)
                let now = Timestamp.now()
                let expired = Timestamp(milliseconds: now.milliseconds - WebSessionRules.lifetimeMilliseconds)
                let user = account.user
                storage.perform({ store in
                    try store.createWebSession(
                        tokenHash: stored, userID: user.id, at: now, expiredBefore: expired,
                        keep: WebSessionRules.perAccount)
                }) { [self] result in
                    switch result {
                    case .success:
                        log.info(
                            "login", ["user": user.name, "peer": host, "door": Door.web.rawValue, "method": "password"])
                        completion(.success((user, token)))
                    case .failure(let error):
                        completion(.failure(Self.webStorageError(error)))
                    }
                }
            }
        }
    }

    /// Posts `text` (as a form sent it) by `user`, signed in on the web door from `host`: the same rules,
    /// rate and shutdown refusal as `/post`. Once committed the post goes live to every door and its
    /// mentions are notified, as any post.
    public func postFromWeb(
        _ text: String, by user: User, host: String, completion: @escaping (Result<Post, WireError>) -> Void
    ) {
        checkConfined()
        let checked: String
        switch PostRules.validate(WebSessionRules.postText(fromForm: text)) {
        case .success(let valid): checked = valid
        case .failure(let error): return completion(.failure(error))
        }
        if let refusal = posting.postRefusal(by: user.id) { return completion(.failure(refusal)) }
        storage.submit(NewPost(authorID: user.id, text: checked, createdAt: .now())) { [self] result in
            switch result {
            case .success(let post):
                if log.enabled(.debug) {
                    log.debug("post", ["peer": host, "user": post.author, "id": post.id, "door": Door.web.rawValue])
                }
                posting.published(post)
                completion(.success(post))
            case .failure(let error):
                completion(.failure(Self.webStorageError(error)))
            }
        }
    }

    /// Ends the web session whose cookie token is `token` (signing out); a session already gone is no error.
    public func signOutFromWeb(token: String, completion: @escaping (Result<Void, WireError>) -> Void) {
        checkConfined()
        let stored = SessionToken.stored(token)
        storage.perform({ store in try store.deleteWebSession(tokenHash: stored) }) { result in
            switch result {
            case .success: completion(.success(()))
            case .failure(let error): completion(.failure(Self.webStorageError(error)))
            }
        }
    }

    private static func webStorageError(_ error: StoreError) -> WireError {
        if case .accountDeleted = error { return WireError(.accountDeleted, "this account was deleted") }
        return WireError(.storage, "the server could not do that just now; please try again")
    }
}
