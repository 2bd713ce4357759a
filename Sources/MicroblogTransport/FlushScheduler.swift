import Dispatch
import MicroblogModel
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Collects connections with output written during the current turn of the server queue and flushes
/// them in later blocks, so a turn's output leaves in one `send` per connection. Confined to the server
/// queue.
///
/// At most `flushChunk` connections are sent to per block; the rest wait for the next block, queued
/// behind whatever else arrived meanwhile. So while a post goes out to thousands of watchers, the
/// queue still reads input and hands out the next commit's posts: a watcher not yet sent to then gets
/// both posts in one `send`. The busier the server, the more posts each `send` carries, instead of the
/// backlog growing behind one `send` per post per watcher.
///
/// When many connections wait, the `send` calls, which are nearly all of the cost and nearly all kernel
/// time, run on `sendThreads` threads at once while the server queue waits for them: each connection
/// is touched by one thread only, and nothing else runs on the server queue meanwhile, so the
/// connections stay confined to it in effect. What follows each send (closing, arming a write source,
/// callbacks) runs on the server queue afterwards.
public final class FlushScheduler {
    private let queue: DispatchQueue
    private let sendThreads: Int
    /// One io_uring per send thread (`SendRing`), when asked for and the kernel allows it: a batch's
    /// sends then go in one system call per thread rather than one each. Empty: one `send` each.
    private let rings: [SendRing]
    /// Why there are no rings although they were asked for (for the start log line).
    public let ringsUnavailable: SendRing.Unavailable?
    /// True when sends go through io_uring.
    public var usesRings: Bool { !rings.isEmpty }
    /// Connections to flush, in order, taken `flushChunk` per block.
    private var dirty = ChunkedBacklog<Connection>(chunk: FlushScheduler.flushChunk)
    private var round = 0
    /// Below this many connections one thread sends them all: waking a second costs more than it saves.
    public static let defaultParallelThreshold = 128
    private let parallelThreshold: Int
    /// Connections sent to per block of the server queue (see above).
    static let flushChunk = 1024
    /// Entries in the list of connections to flush, those already done included (for tests).
    var listLength: Int { dirty.storedCount }

    public init(
        queue: DispatchQueue, sendThreads: Int = 1, parallelThreshold: Int = FlushScheduler.defaultParallelThreshold,
        ioURing: Bool = false
    ) {
        self.queue = queue
        self.sendThreads = max(1, sendThreads)
        self.parallelThreshold = max(1, parallelThreshold)
        var rings: [SendRing] = []
        var unavailable: SendRing.Unavailable?
        if ioURing {
            do {
                for _ in 0..<self.sendThreads { rings.append(try SendRing(entries: Self.flushChunk)) }
            } catch {
                rings = []
                unavailable = error
            }
        }
        self.rings = rings
        self.ringsUnavailable = unavailable
    }

    func schedule(_ connection: Connection) {
        if dirty.append(connection) {
            queue.asyncConfined { [self] in flushAll() }
        }
    }

    private func flushAll() {
        let (connections, more) = dirty.takeChunk()
        if more { queue.asyncConfined { [self] in flushAll() } }
        guard connections.count > 1 || !rings.isEmpty else {
            connections.first?.flush()
            return
        }
        // In three passes: prepare every connection, send to all of them (through a ring, in one system
        // call; or on several threads), then act on what each send did, in order.
        var outcomes = [Connection.SendOutcome](repeating: .drained, count: connections.count)
        round &+= 1
        let open = connections.map { $0.prepareForParallelFlush(round: round) }
        if sendThreads > 1, connections.count >= parallelThreshold {
            let chunks = sendThreads
            let count = connections.count
            outcomes.withUnsafeMutableBufferPointer { results in
                let batch = ParallelSends(connections: connections, open: open, results: results, rings: rings)
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    batch.send(Self.slice(chunk, of: chunks, count: count), ring: chunk)
                }
            }
        } else {
            outcomes.withUnsafeMutableBufferPointer { results in
                Self.send(connections, connections.indices, open: open, ring: rings.first, into: results)
            }
        }
        for index in connections.indices where open[index] {
            connections[index].finishFlush(outcomes[index])
        }
    }

    /// Sends to `connections[range]` where `open`, each result into `results` at the same index: through
    /// `ring` when there is one (a copy of each connection's pending bytes, all sent in one system call),
    /// else with `sendPending`'s `send` calls.
    fileprivate static func send(
        _ connections: [Connection], _ range: Range<Int>, open: [Bool], ring: SendRing?,
        into results: UnsafeMutableBufferPointer<Connection.SendOutcome>
    ) {
        guard let ring, ring.failure == nil else {
            for index in range where open[index] { results[index] = connections[index].sendPending() }
            return
        }
        let jobs = range.filter { open[$0] }
        var lengths = [Int](repeating: 0, count: jobs.count)
        let sent = ring.send(
            count: jobs.count, fd: { connections[jobs[$0]].socket }, size: { connections[jobs[$0]].pendingCount },
            copy: { job, space in
                lengths[job] = space.count
                connections[jobs[job]].copyPending(into: space)
            })
        for (job, index) in jobs.enumerated() {
            results[index] = connections[index].finishRingSend(result: sent[job], length: lengths[job])
        }
    }

    /// The `chunk`th of `chunks` nearly equal contiguous ranges of `0..<count`.
    static func slice(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
        let lower = count * chunk / chunks
        let upper = count * (chunk + 1) / chunks
        return lower..<upper
    }
}

@available(*, unavailable) extension FlushScheduler: Sendable {}

/// The connections of one parallel flush, handed to `concurrentPerform`'s threads.
///
/// `@unchecked Sendable` because the compiler cannot see the fork-join: `concurrentPerform` returns
/// only after every thread is done, the server queue runs nothing else meanwhile, and each index (a
/// connection and its result slot) belongs to exactly one thread's range, so no state is shared.
private struct ParallelSends: @unchecked Sendable {
    let connections: [Connection]
    let open: [Bool]
    let results: UnsafeMutableBufferPointer<Connection.SendOutcome>
    /// One ring per thread index, or none; a ring is used by one thread at a time, the one given its index.
    let rings: [SendRing]

    func send(_ range: Range<Int>, ring index: Int) {
        FlushScheduler.send(
            connections, range, open: open, ring: index < rings.count ? rings[index] : nil, into: results)
    }
}
