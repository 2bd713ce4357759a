import Dispatch

/// Owns the `Store` and the serial storage queue it runs on, so no SQLite call ever runs on the queue
/// that serves sockets. Calls come from the server queue and their completions run there, in the order
/// the storage queue finished them (reads and commits share the queue, so a read issued after a
/// commit's acknowledgement sees that commit).
///
/// Posts are group-committed: posts that arrive while a commit runs wait and go into the next
/// transaction together, up to `maxBatch`. Each post is acknowledged only after its transaction commits.
///
/// `@unchecked Sendable`: `store` is touched only on `storageQueue`; `pending` and `commitInFlight`
/// only on `serverQueue` (checked with `dispatchPrecondition`).
public final class StorageWorker: @unchecked Sendable {
    public static let defaultMaxBatch = 1024

    private let store: Store
    private let storageQueue = DispatchQueue(label: "microblogd.storage")
    private let serverQueue: DispatchQueue
    private let maxBatch: Int
    private var pending: [(post: NewPost, completion: OwnerCallback<Result<Post, StoreError>>)] = []
    private var commitInFlight = false
    private var drainWaiters: [() -> Void] = []

    /// The most posts committed in one transaction so far, for stats and benchmarks.
    public private(set) var largestBatch = 0
    /// Transactions of posts committed, and the posts in them: their ratio is the mean batch.
    public private(set) var commits = 0
    public private(set) var committedPosts = 0
    /// Called on the server queue after each commit of posts: how many, and how long the transaction took.
    public var onCommit: ((_ posts: Int, _ seconds: Double) -> Void)?

    public init(store: Store, serverQueue: DispatchQueue, maxBatch: Int = StorageWorker.defaultMaxBatch) {
        self.store = store
        self.serverQueue = serverQueue
        self.maxBatch = max(1, maxBatch)
    }

    /// Runs `work` against the store on the storage queue and hands the result back on the server queue.
    public func perform<T: Sendable>(
        _ work: @escaping @Sendable (Store) throws -> T, completion: @escaping (Result<T, StoreError>) -> Void
    ) {
        let callback = OwnerCallback(on: serverQueue, completion)
        storageQueue.async { [self] in
            let result: Result<T, StoreError>
            do { result = .success(try work(store)) } catch let error as StoreError {
                result = .failure(store.afterFailure(error))
            } catch {
                result = .failure(.storeFailure("\(error)", context: "storage"))
            }
            serverQueue.async { callback.call(result) }
        }
    }

    /// Queues a post for the next group commit. `completion` runs on the server queue after the commit.
    public func submit(_ post: NewPost, completion: @escaping (Result<Post, StoreError>) -> Void) {
        dispatchPrecondition(condition: .onQueue(serverQueue))
        pending.append((post, OwnerCallback(on: serverQueue, completion)))
        if !commitInFlight { commitNextBatch() }
    }

    /// Runs `done` on the server queue once no post is waiting or being committed.
    public func whenIdle(_ done: @escaping () -> Void) {
        dispatchPrecondition(condition: .onQueue(serverQueue))
        if !commitInFlight && pending.isEmpty { done() } else { drainWaiters.append(done) }
    }

    /// Closes the store after everything queued before it; `done` runs on the server queue.
    public func close(_ done: @escaping () -> Void) {
        let callback = OwnerCallback<Void>(on: serverQueue, { _ in done() })
        storageQueue.async { [self] in
            store.close()
            serverQueue.async { callback.call(()) }
        }
    }

    private func commitNextBatch() {
        let count = min(pending.count, maxBatch)
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        commitInFlight = true
        let posts = batch.map(\.post)
        storageQueue.async { [self] in
            let result: Result<[Post], StoreError>
            let started = MonotonicClock.now()
            do { result = .success(try store.insertPosts(posts)) } catch let error as StoreError {
                result = .failure(store.afterFailure(error))
            } catch {
                result = .failure(.storeFailure("\(error)", context: "insert posts"))
            }
            let seconds = MonotonicClock.now() - started
            serverQueue.async { [self] in finishBatch(batch.map(\.completion), result, seconds: seconds) }
        }
    }

    private func finishBatch(
        _ callbacks: [OwnerCallback<Result<Post, StoreError>>], _ result: Result<[Post], StoreError>, seconds: Double
    ) {
        commitInFlight = false
        largestBatch = max(largestBatch, callbacks.count)
        // Start the next commit before acknowledging, so the disk works while we broadcast.
        if !pending.isEmpty { commitNextBatch() }
        switch result {
        case .success(let posts):
            commits += 1
            committedPosts += posts.count
            onCommit?(posts.count, seconds)
            for (callback, post) in zip(callbacks, posts) { callback.call(.success(post)) }
        case .failure(let error):
            for callback in callbacks { callback.call(.failure(error)) }
        }
        if !commitInFlight && pending.isEmpty {
            let waiters = drainWaiters
            drainWaiters.removeAll()
            for waiter in waiters { waiter() }
        }
    }
}
