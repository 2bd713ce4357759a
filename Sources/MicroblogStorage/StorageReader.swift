import Dispatch
import MicroblogModel
import MicroblogSupport

/// A second, read-only connection to the store's database with a serial queue of its own, for reads
/// whose cost a client chooses (`/search`): they run beside the storage queue, never in it, so they cannot
/// delay a commit or the reads queued behind it. On SQLite in WAL mode the reader sees every transaction
/// committed before each statement starts and never takes the write lock; on PostgreSQL it is a second
/// session whose transactions are read-only.
///
/// A read sees what is committed when it runs: one acknowledged before it was asked for is there. (The
/// search indexes are another matter: see `StorageWorker.readIndexed`.)
///
/// It sees the store only as a `ReadingStore`: searches and export pages, nothing that writes.
///
/// The store is `queue`'s alone (a `QueueBound`, checked on every access); completions run on
/// `serverQueue`.
public final class StorageReader: Sendable {
    private let store: QueueBound<any ReadingStore>
    let queue: DispatchQueue
    private let serverQueue: DispatchQueue

    /// `store` must be open for reading only (`SQLiteStore(readingOnly:)`, `PostgresStore(readingOnly:)`)
    /// and is owned by the reader from now on.
    public init(store: any ReadingStore, serverQueue: DispatchQueue) {
        let queue = DispatchQueue(label: "microblogd.reader")
        self.queue = queue
        self.store = QueueBound(store, on: queue)
        self.serverQueue = serverQueue
    }

    /// Runs `work` against the read-only store on the reader's queue and hands the result back on the
    /// server queue.
    public func read<T: Sendable>(
        _ work: @escaping @Sendable (any ReadingStore) throws -> T,
        completion: @escaping (Result<T, StoreError>) -> Void
    ) {
        let callback = OwnerCallback(on: serverQueue, completion)
        queue.async { [self] in
            let result = run(work)
            serverQueue.async { callback.call(result) }
        }
    }

    /// Runs on the reader's queue: `work`'s result, or its error as a `StoreError`.
    func run<T>(_ work: (any ReadingStore) throws -> T) -> Result<T, StoreError> {
        let store = store.value
        do { return .success(try work(store)) } catch let error as StoreError {
            return .failure(store.afterFailure(error))
        } catch {
            return .failure(.storeFailure("\(error)", context: "read"))
        }
    }

    /// Closes the connection after every read queued before it; `done` runs on the reader's queue.
    public func close(_ done: @escaping @Sendable () -> Void) {
        queue.async { [self] in
            store.value.close()
            done()
        }
    }
}
