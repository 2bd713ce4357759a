import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/search`: bounded in shape (`SearchQuery`), in time (`SearchQuery.timeLimit`, inside the database),
/// and in number (a budget per address and per connection), and run on the storage reader, never on the
/// storage queue, so no searcher can delay anyone's commits. Runs on the server queue, like `Posting`.
extension Posting {
    static let searchResults = 20

    /// `/search WORDS`: full-text search, best matches first. `terms` passed `SearchQuery.parse`.
    func search(_ terms: [String], for session: Session) {
        queue.checkConfined()
        if let refusal = limits.takeSearch(for: session) { return session.send(.error(refusal, command: "search")) }
        let reply = desk.waiting(session, command: "search")
        let viewerID = session.user?.id
        let started = MonotonicClock.now()
        storage.readIndexed(for: session.peerHost) { store in
            try store.withTimeLimit(SearchQuery.timeLimit) {
                try store.search(terms, limit: Self.searchResults, viewer: viewerID)
            }
        } completion: { [self] result in
            switch result {
            case .success(let posts):
                let now = Timestamp.now()
                for post in posts { session.send(.post(post, live: false), now: now) }
                let message = posts.isEmpty ? "nothing found" : "\(posts.count) found, best first"
                session.send(.ok(Ack(command: "search", message: message, fields: [.int("count", Int64(posts.count))])))
            case .failure(.timedOut):
                log.info(
                    "search_timeout",
                    [
                        "conn": session.id, "peer": session.peer, "terms": terms.count,
                        "ms": Int((MonotonicClock.now() - started) * 1000),
                    ], limitKey: "search_timeout")
                session.send(.error(SearchQuery.timedOut, command: "search"))
            case .failure(let error):
                desk.storageFailed(error, command: "search", for: session)
            }
            reply.finish()
        }
    }
}

extension Microblog {
    /// A search for a client without a session (the web door's `/search?q=`, leaving out what the web door
    /// never shows): the same bounds as `/search`
    /// (`SearchQuery`, its time limit inside the database, the address's share of `--search-rate`) and the
    /// same reader, in the address's turn. `completion` runs on the server queue.
    public func searchWithoutSession(
        _ text: String, from host: String, completion: @escaping (Result<[Post], WireError>) -> Void
    ) {
        checkConfined()
        let query: SearchQuery
        switch SearchQuery.parse(text.split(whereSeparator: \.isWhitespace).map(String.init)) {
        case .success(let parsed): query = parsed
        case .failure(let error): return completion(.failure(error))
        }
        if let refusal = limits.takeSearch(forAddress: host) { return completion(.failure(refusal)) }
        let terms = query.terms
        storage.readIndexed(for: host) { store in
            try store.withTimeLimit(SearchQuery.timeLimit) {
                // As the web door shows posts: none of an account banned or `/web off`.
                try store.asSeenOnTheWeb { try store.search(terms, limit: Posting.searchResults, viewer: nil) }
            }
        } completion: { result in
            switch result {
            case .success(let posts): completion(.success(posts))
            case .failure(.timedOut): completion(.failure(SearchQuery.timedOut))
            case .failure: completion(.failure(WireError(.storage, "the search failed; try again")))
            }
        }
    }
}
