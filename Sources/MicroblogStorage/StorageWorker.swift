import Dispatch
import MicroblogModel
import MicroblogSupport

/// Owns the `Store` and the serial storage queue it runs on, so no SQLite call ever runs on the queue
/// that serves sockets. Calls come from the server queue and their completions run there, in the order
/// the storage queue finished them (reads and commits share the queue, so a read issued after a
/// commit's acknowledgement sees that commit).
///
/// Posts are group-committed: posts that arrive while a commit runs wait and go into the next
/// transaction together, up to `maxBatch`. Each post is acknowledged only after its transaction commits.
/// A full batch does not wait for the commit in flight to be answered: it goes to the storage queue at once
/// (two commits in flight at most), so the storage queue is not left idle while the server queue gets round
/// to the first commit's answer. Transactions still run one after another, in order.
/// Notifications are group-committed the same way, in a queue of their own: one durable transaction for
/// every action's notifications that waited behind the one in flight, not one per action. The storage
/// queue is serial, so a batch of posts and one of notifications simply take turns.
/// The search indexes catch up in transactions of their own, at most `searchIndexDelay` after a commit
/// (see `SearchIndex`).
///
/// Reads whose cost a client chooses go to a `StorageReader` of their own (`read`, `readIndexed`), so they
/// never hold the storage queue.
///
/// `@unchecked Sendable`: `store` and `searchIndexScheduled` are touched only on `storageQueue`;
/// `pending`, `pendingNotifications`, the in-flight flags and the callbacks only on `serverQueue` (checked
/// with `checkConfined`).
public final class StorageWorker: @unchecked Sendable {
    public static let defaultMaxBatch = 1024
    /// How long after a commit the search indexes catch up at the latest: the most a search index lags
    /// commits (a search itself catches up first, so it never misses a committed post).
    public static let searchIndexDelay = 0.25
    /// Posts indexed for search per transaction; a larger backlog goes on in the storage queue's next turn,
    /// so commits are not held up behind a long catch-up (after an upgrade, say).
    static let searchIndexBatch = 50_000

    private let store: Store
    /// Reads whose cost a client chooses run here, beside the storage queue; nil runs them on it (tests,
    /// tools).
    public let reader: StorageReader?
    /// The reader's turns, by client address (round robin, one read at a time): one address's burst of
    /// searches or export pages waits behind its own reads, not in front of everyone else's. Confined to
    /// the server queue, like its callers.
    private let readerTurns: FairPool?
    private let storageQueue = DispatchQueue(label: "microblogd.storage")
    private let serverQueue: DispatchQueue
    private let maxBatch: Int
    private var pending: [(post: NewPost, completion: OwnerCallback<Result<Post, StoreError>>)] = []
    /// Commits of posts handed to the storage queue and not yet answered: one, or two when a full batch
    /// waited behind the first (see `commitNextBatch`).
    private var commitsInFlight = 0
    private var pendingNotifications:
        [(notifications: [NewNotification], completion: OwnerCallback<Result<[AccountNotification], StoreError>>)] =
            []
    private var notificationCommitInFlight = false
    private var drainWaiters: [() -> Void] = []
    /// A catch-up of the search indexes is due on the storage queue.
    private var searchIndexScheduled = false
    /// When the oldest commit not yet indexed for search finished (storage queue).
    private var oldestUnindexedCommit: Double?
    /// Catch-ups of the search indexes that indexed something, and the longest a committed post waited
    /// for one, in seconds (copied to the server queue after each catch-up, for stats and benchmarks).
    public private(set) var searchIndexRuns = 0
    public private(set) var searchIndexLongestLag = 0.0

    /// The most posts committed in one transaction so far, for stats and benchmarks.
    public private(set) var largestBatch = 0
    /// Transactions of posts committed, and the posts in them: their ratio is the mean batch.
    public private(set) var commits = 0
    public private(set) var committedPosts = 0
    /// Transactions of notifications committed, the actions whose notifications they held, and the most
    /// actions in one.
    public private(set) var notificationCommits = 0
    public private(set) var committedNotificationActions = 0
    public private(set) var largestNotificationBatch = 0
    /// Called on the server queue after each commit of posts: how many, and how long the transaction took.
    public var onCommit: ((_ posts: Int, _ seconds: Double) -> Void)?
    /// Called on the server queue when catching up the search indexes failed (it is tried again after
    /// the next commit).
    public var onSearchIndexFailure: ((StoreError) -> Void)?

    public init(
        store: Store, serverQueue: DispatchQueue, maxBatch: Int = StorageWorker.defaultMaxBatch,
        reader: StorageReader? = nil
    ) {
        self.store = store
        self.reader = reader
        self.readerTurns = reader.map { FairPool(turnsOn: $0.queue, ownerQueue: serverQueue) }
        self.serverQueue = serverQueue
        self.maxBatch = max(1, maxBatch)
        // Posts a previous run committed but did not index (or a whole database after an upgrade).
        storageQueue.async { [self] in scheduleSearchIndex(after: 0) }
    }

    /// Runs `work` against the store on the storage queue and hands the result back on the server queue.
    public func perform<T: Sendable>(
        _ work: @escaping @Sendable (Store) throws -> T, completion: @escaping (Result<T, StoreError>) -> Void
    ) {
        let callback = OwnerCallback(on: serverQueue, completion)
        storageQueue.async { [self] in
            let result = attempt("storage") { try work(store) }
            serverQueue.async { callback.call(result) }
        }
    }

    /// Runs `work` on the reader (see `StorageReader`) in the turn of the client `address`, or on the
    /// storage queue when there is none, and hands the result back on the server queue. For reads that
    /// need not see the search indexes. Called on the server queue.
    public func read<T: Sendable>(
        for address: String, _ work: @escaping @Sendable (any ReadingStore) throws -> T,
        completion: @escaping (Result<T, StoreError>) -> Void
    ) {
        guard let reader, let readerTurns else { return perform({ try work($0) }, completion: completion) }
        readerTurns.submit(for: address, { reader.run(work) }, completion: completion)
    }

    /// Runs `work` on the reader once the search indexes hold every post committed before this call, and
    /// hands the result back on the server queue. The reader never writes: when it finds posts waiting
    /// for the indexes, the storage queue indexes them first (at most `searchIndexBatch`, the same step a
    /// catch-up after a commit takes, and work that catch-up would do anyway), then the reader runs
    /// `work`. Without a reader, `work` runs on the storage queue (where `Store.search` catches up itself).
    public func readIndexed<T: Sendable>(
        for address: String, _ work: @escaping @Sendable (any ReadingStore) throws -> T,
        completion: @escaping (Result<T, StoreError>) -> Void
    ) {
        guard let reader, let readerTurns else { return perform({ try work($0) }, completion: completion) }
        readerTurns.submit(
            for: address,
            { [self] in
                let awaiting = (try? reader.run({ try $0.postsAwaitingSearchIndex() }).get()) ?? 0
                if awaiting > 0 {
                    // Best effort, as a catch-up after a commit: if it fails, the search answers from what
                    // is indexed. The storage queue never waits for the reader, so this cannot deadlock.
                    storageQueue.sync {
                        _ = attempt("search index") { try store.indexForSearch(limit: Self.searchIndexBatch) }
                    }
                }
                return reader.run(work)
            }, completion: completion)
    }

    /// Runs on the storage queue: `work`'s result, or its error as a `StoreError` with what the store can
    /// learn about it (`afterFailure`); an error of another kind is named with `context`.
    private func attempt<T>(_ context: String, _ work: () throws -> T) -> Result<T, StoreError> {
        do { return .success(try work()) } catch let error as StoreError {
            return .failure(store.afterFailure(error))
        } catch {
            return .failure(.storeFailure("\(error)", context: context))
        }
    }

    /// Queues a post for the next group commit. `completion` runs on the server queue after the commit.
    public func submit(_ post: NewPost, completion: @escaping (Result<Post, StoreError>) -> Void) {
        serverQueue.checkConfined()
        pending.append((post, OwnerCallback(on: serverQueue, completion)))
        if nextCommitIsDue { commitNextBatch() }
    }

    /// Queues one action's notifications for the next group commit of notifications (at most `maxBatch`
    /// notifications a transaction, but never fewer than one action's). `completion` runs on the server
    /// queue after the commit, with those recorded (a recipient may have turned the kind off), in the
    /// order the actions were queued.
    public func submitNotifications(
        _ notifications: [NewNotification], completion: @escaping (Result<[AccountNotification], StoreError>) -> Void
    ) {
        serverQueue.checkConfined()
        pendingNotifications.append((notifications, OwnerCallback(on: serverQueue, completion)))
        if !notificationCommitInFlight { commitNextNotificationBatch() }
    }

    /// Runs `done` on the server queue once no post and no notification is waiting or being committed.
    public func whenIdle(_ done: @escaping () -> Void) {
        serverQueue.checkConfined()
        if isIdle { done() } else { drainWaiters.append(done) }
    }

    /// Posts wait and none is being committed, or a full batch waits behind the one commit in flight.
    private var nextCommitIsDue: Bool {
        !pending.isEmpty && (commitsInFlight == 0 || (commitsInFlight == 1 && pending.count >= maxBatch))
    }

    private var isIdle: Bool {
        commitsInFlight == 0 && pending.isEmpty && !notificationCommitInFlight && pendingNotifications.isEmpty
    }

    private func runDrainWaitersIfIdle() {
        guard isIdle else { return }
        let waiters = drainWaiters
        drainWaiters.removeAll()
        for waiter in waiters { waiter() }
    }

    /// Closes the store after everything queued before it; `done` runs on the server queue.
    public func close(_ done: @escaping () -> Void) {
        let callback = OwnerCallback<Void>(on: serverQueue, { _ in done() })
        let closeStore: @Sendable () -> Void = { [self] in
            storageQueue.async { [self] in
                store.close()
                serverQueue.async { callback.call(()) }
            }
        }
        // The reader first: a read it still runs may hand work to the storage queue (`readIndexed`).
        if let reader { reader.close(closeStore) } else { closeStore() }
    }

    private func commitNextBatch() {
        let count = min(pending.count, maxBatch)
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        commitsInFlight += 1
        let posts = batch.map(\.post)
        storageQueue.async { [self] in
            let started = MonotonicClock.now()
            let result = attempt("insert posts") { try store.insertPostsOfLiveAccounts(posts) }
            let seconds = MonotonicClock.now() - started
            if case .success = result {
                if oldestUnindexedCommit == nil { oldestUnindexedCommit = MonotonicClock.now() }
                scheduleSearchIndex(after: Self.searchIndexDelay)
            }
            serverQueue.async { [self] in finishBatch(batch.map(\.completion), result, seconds: seconds) }
        }
    }

    /// Runs on the storage queue: catches the search indexes up `delay` seconds from now, unless that is
    /// already due; a backlog larger than one batch goes on right after.
    private func scheduleSearchIndex(after delay: Double) {
        storageQueue.checkConfined()
        guard !searchIndexScheduled else { return }
        searchIndexScheduled = true
        storageQueue.asyncAfter(deadline: .now() + delay) { [self] in
            searchIndexScheduled = false
            switch attempt("search index", { try store.indexForSearch(limit: Self.searchIndexBatch) }) {
            case .success(let indexed):
                if indexed == Self.searchIndexBatch {
                    scheduleSearchIndex(after: 0)
                } else if indexed > 0, let oldest = oldestUnindexedCommit {
                    // Up to date: every commit before this catch-up is now searchable in the indexes.
                    oldestUnindexedCommit = nil
                    let lag = MonotonicClock.now() - oldest
                    serverQueue.async { [self] in
                        searchIndexRuns += 1
                        searchIndexLongestLag = max(searchIndexLongestLag, lag)
                    }
                }
            case .failure(.closed):
                break
            case .failure(let failure):
                serverQueue.async { [self] in onSearchIndexFailure?(failure) }
            }
        }
    }

    private func finishBatch(
        _ callbacks: [OwnerCallback<Result<Post, StoreError>>], _ result: Result<[Post?], StoreError>, seconds: Double
    ) {
        commitsInFlight -= 1
        largestBatch = max(largestBatch, callbacks.count)
        // Start the next commit before acknowledging, so the disk works while we broadcast.
        if nextCommitIsDue { commitNextBatch() }
        switch result {
        case .success(let posts):
            let committed = posts.count { $0 != nil }
            commits += 1
            committedPosts += committed
            onCommit?(committed, seconds)
            for (callback, post) in zip(callbacks, posts) {
                // nil: its author's account was deleted before the commit.
                callback.call(post.map { .success($0) } ?? .failure(.accountDeleted))
            }
        case .failure(let error):
            for callback in callbacks { callback.call(.failure(error)) }
        }
        runDrainWaitersIfIdle()
    }

    private func commitNextNotificationBatch() {
        var count = 0
        var notifications = 0
        for action in pendingNotifications {
            guard count == 0 || notifications + action.notifications.count <= maxBatch else { break }
            count += 1
            notifications += action.notifications.count
        }
        let batch = Array(pendingNotifications.prefix(count))
        pendingNotifications.removeFirst(count)
        notificationCommitInFlight = true
        let groups = batch.map(\.notifications)
        storageQueue.async { [self] in
            let results = addNotifications(groups)
            serverQueue.async { [self] in finishNotificationBatch(batch.map(\.completion), results) }
        }
    }

    /// Runs on the storage queue: one transaction for all the groups. When it fails on a constraint (a post
    /// or an account deleted meanwhile, say), each group is tried again alone, so one action's trouble does
    /// not cost the others their notifications; any other failure (the disk, the connection) fails them all.
    private func addNotifications(_ groups: [[NewNotification]]) -> [Result<[AccountNotification], StoreError>] {
        storageQueue.checkConfined()
        func add(_ groups: [[NewNotification]]) -> Result<[[AccountNotification]], StoreError> {
            attempt("add notifications") { try store.addNotifications(grouped: groups) }
        }
        switch add(groups) {
        case .success(let recorded):
            return recorded.map { .success($0) }
        case .failure(let error):
            guard groups.count > 1, error.failureKind == .foreignKey || error.failureKind == .unique else {
                return groups.map { _ in .failure(error) }
            }
            return groups.map { group in add([group]).map { $0.first ?? [] } }
        }
    }

    private func finishNotificationBatch(
        _ callbacks: [OwnerCallback<Result<[AccountNotification], StoreError>>],
        _ results: [Result<[AccountNotification], StoreError>]
    ) {
        notificationCommitInFlight = false
        notificationCommits += 1
        committedNotificationActions += callbacks.count
        largestNotificationBatch = max(largestNotificationBatch, callbacks.count)
        if !pendingNotifications.isEmpty { commitNextNotificationBatch() }
        for (callback, result) in zip(callbacks, results) { callback.call(result) }
        runDrainWaitersIfIdle()
    }
}
