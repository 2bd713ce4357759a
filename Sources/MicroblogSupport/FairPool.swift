import Dispatch
import MicroblogModel

/// Runs costly work that clients ask for (password hashing, TLS handshakes) off the I/O queue with
/// bounded parallelism, so a burst of logins or handshakes neither stalls other sessions nor starts
/// unbounded threads.
///
/// Fair between addresses: jobs wait in one queue per address, and a free thread takes the next job
/// from the next address in turn (round robin), so one address looping logins from many connections
/// delays another person's login by at most one job per address waiting, not by its whole backlog.
/// Within an address, jobs start in arrival order.
///
/// Confined to the owner's queue (`ownerQueue`): `submit` must be called there, and completions run there.
public final class FairPool: @unchecked Sendable {  // confined to ownerQueue; work runs on `workQueue`
    private let ownerQueue: DispatchQueue
    private let workQueue: DispatchQueue
    private let maxConcurrent: Int
    private var running = 0
    private var scheduler = FairQueue<() -> Void>()

    /// `label` names the pool's threads (e.g. `microblogd.hashing`).
    public init(label: String, ownerQueue: DispatchQueue, maxConcurrent: Int) {
        self.ownerQueue = ownerQueue
        self.workQueue = DispatchQueue(label: label, attributes: .concurrent)
        self.maxConcurrent = max(1, maxConcurrent)
    }

    /// Turns on a queue that already exists (a serial one, such as the storage reader's, which owns a
    /// connection): one job at a time, the addresses in turn.
    public init(turnsOn workQueue: DispatchQueue, ownerQueue: DispatchQueue) {
        self.ownerQueue = ownerQueue
        self.workQueue = workQueue
        self.maxConcurrent = 1
    }

    /// Jobs waiting for a thread.
    var waitingCount: Int { scheduler.count }
    /// Jobs waiting or running.
    public var pending: Int { scheduler.count + running }

    /// Runs `work` on the pool for the client at `address` and hands its result to `completion` on
    /// the owner queue.
    public func submit<T: Sendable>(
        for address: String, _ work: @escaping @Sendable () -> T, completion: @escaping (T) -> Void
    ) {
        ownerQueue.checkConfined()
        let job = { [self] in
            running += 1
            let callback = OwnerCallback(on: ownerQueue, completion)
            workQueue.async {
                let result = work()
                self.ownerQueue.async {
                    self.running -= 1
                    callback.call(result)
                    self.startNext()
                }
            }
        }
        scheduler.append(job, for: address)
        startNext()
    }

    private func startNext() {
        while running < maxConcurrent, let job = scheduler.next() { job() }
    }
}

/// Items queued per key and taken one key at a time in turn (round robin), each key's in arrival
/// order. A pure value.
struct FairQueue<Item> {
    private var queues: [String: [Item]] = [:]
    /// Keys with items waiting, in the order they take turns.
    private var turns: [String] = []
    private(set) var count = 0

    mutating func append(_ item: Item, for key: String) {
        if queues[key] == nil { turns.append(key) }
        queues[key, default: []].append(item)
        count += 1
    }

    /// The next item: the oldest of the key whose turn it is; that key then goes to the back.
    mutating func next() -> Item? {
        guard !turns.isEmpty else { return nil }
        let key = turns.removeFirst()
        // In place: no copy of the key's queue.
        let item = queues[key, default: []].removeFirst()
        if queues[key]?.isEmpty == true {
            queues[key] = nil
        } else {
            turns.append(key)
        }
        count -= 1
        return item
    }
}

/// A value handed from one queue to another, which alone uses it until it hands it back (a TLS
/// connection's `SSL` during a handshake step on the pool). `@unchecked Sendable`: the hand-over is the
/// synchronisation (the queue's own happens-before); the sender promises not to touch the value meanwhile.
public struct HandOff<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
