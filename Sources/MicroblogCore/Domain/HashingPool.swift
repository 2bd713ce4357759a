import Dispatch

/// Runs password hashing off the I/O queue with bounded parallelism, so a burst of logins neither
/// stalls other sessions nor starts unbounded threads. Jobs start in arrival order.
///
/// Confined to the owner's queue (`ownerQueue`): `submit` must be called there, and completions run there.
final class HashingPool: @unchecked Sendable {  // confined to ownerQueue; work runs on `workQueue`
    private let ownerQueue: DispatchQueue
    private let workQueue = DispatchQueue(label: "microblogd.hashing", attributes: .concurrent)
    private let maxConcurrent: Int
    private var running = 0
    private var waiting: [() -> Void] = []

    init(ownerQueue: DispatchQueue, maxConcurrent: Int) {
        self.ownerQueue = ownerQueue
        self.maxConcurrent = max(1, maxConcurrent)
    }

    /// Runs `work` on the pool and hands its result to `completion` on the owner queue.
    func submit<T: Sendable>(_ work: @escaping @Sendable () -> T, completion: @escaping (T) -> Void) {
        dispatchPrecondition(condition: .onQueue(ownerQueue))
        let job = { [self] in
            running += 1
            let callback = OwnerCallback(completion)
            workQueue.async {
                let result = work()
                self.ownerQueue.async {
                    self.running -= 1
                    callback.call(result)
                    self.startNext()
                }
            }
        }
        if running < maxConcurrent { job() } else { waiting.append(job) }
    }

    private func startNext() {
        if running < maxConcurrent, !waiting.isEmpty { waiting.removeFirst()() }
    }
}
