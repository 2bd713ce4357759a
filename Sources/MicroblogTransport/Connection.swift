import Dispatch
import MicroblogModel
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// One client socket: a read source, a write source only while output waits, and an output buffer.
/// Confined to the server queue. Owns its descriptor and closes it exactly once, after both sources'
/// cancel handlers have run.
///
/// Output written during one turn of the queue is coalesced and sent with one `send` at the end of
/// the turn (see `FlushScheduler`); only when the socket is full is a write source armed.
/// The properties touched for every live post are `@exclusivity(unchecked)`, as in `Session`, and for
/// the same reason: confinement already excludes overlapping access, and the checks were measurable.
package final class Connection {
    let id: Int
    let peer: String
    let peerHost: String
    private let fd: Int32
    private let queue: DispatchQueue
    private let flusher: FlushScheduler
    private let readSource: DispatchSourceRead
    private var writeSource: DispatchSourceWrite?
    @exclusivity(unchecked) private var writeSourceActive = false
    /// The source is held while reading is paused by the owner (`output.readPaused`) or while a TLS
    /// handshake step runs elsewhere (`handshakeInFlight`). `readSuspended` says whether it is suspended now.
    private var handshakeInFlight = false
    private var readSuspended = false
    /// Pending bytes, the stall clock, paused reading, and what is due once drained.
    @exclusivity(unchecked) private var output = OutputState()
    @exclusivity(unchecked) private var flushScheduled = false
    private var pendingCancelHandlers = 1
    @exclusivity(unchecked) package private(set) var isClosed = false

    /// What the connection tells its owner, through `onEvent`: one closure rather than one per kind,
    /// since each closure's context is an allocation that every connection keeps for its life.
    package enum Event {
        /// A chunk read (decrypted, on the TLS door); the buffer is only valid during the call.
        case input(UnsafeRawBufferPointer)
        /// Once, when the peer has closed its sending side (read returned 0). Without `onEvent` the
        /// connection closes itself.
        case endOfInput
        /// All pending output has been sent, once per `notifyWhenDrained`.
        case drained
        /// Once, when the connection is closed for any reason; nothing follows it.
        case closed(CloseReason)
    }
    package var onEvent: ((Event) -> Void)?
    /// TLS connections only: called once when the handshake completes, and once with OpenSSL's
    /// reason when TLS fails (the connection is then closed).
    package var onHandshake: (() -> Void)?
    package var onTLSFailure: ((String) -> Void)?
    private var sawEndOfInput = false
    /// When output last made progress while some was pending; nil when nothing is pending.
    package var stalledSince: Double? { output.stalledSince }
    /// The TLS door's filter: input is decrypted before `onEvent`, output encrypted in `write`.
    private let tls: TLSFilter?
    /// Where the TLS handshake's steps run (the key exchange and the certificate's signature): a pool shared
    /// fairly by client addresses, off the server queue. Nil: on the server queue (tests of the filter).
    package var handshakes: FairPool?
    /// Which door the connection came in by.
    package var door: Door { tls == nil ? .plain : .tls }

    /// Bytes accepted by `write` but not yet taken by the kernel.
    package var pendingOutputBytes: Int { output.pendingBytes + plaintext.count }

    package init(
        accepted: Listener.Accepted, id: Int, queue: DispatchQueue, flusher: FlushScheduler, readBuffer: ReadBuffer,
        tls: TLSFilter? = nil
    ) {
        self.id = id
        self.tls = tls
        self.fd = accepted.fd
        self.peer = accepted.peer
        self.peerHost = accepted.peerHost
        self.queue = queue
        self.flusher = flusher
        self.readSource = DispatchSource.makeReadSource(fileDescriptor: accepted.fd, queue: queue)
        SocketAddress.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        Keepalive.enable(on: fd)
        // The handler holds the connection until the source is cancelled (libdispatch lets go of it
        // then), so an open connection lives while its socket may still call back. The cancel handler
        // is set only by `close`: set here, its block and context would cost every idle connection
        // about 140 bytes more.
        readSource.setEventHandler { [self] in readAvailable(into: readBuffer) }
    }

    package func start() {
        readSource.resume()
    }

    /// Queues bytes for the peer; they are sent at the end of this turn of the queue.
    package func write(_ bytes: [UInt8]) {
        // Checked in every build, though it runs once per receiver of every live post: a thread-local read
        // (docs/performance.md gives what it costs).
        queue.checkConfined()
        guard !isClosed, !bytes.isEmpty else { return }
        if tls != nil {
            // Sealed once per flush (`seal`), so a turn's messages make one SSL_write, not one each.
            guard !tlsFailed else { return }
            plaintext.append(contentsOf: bytes)
            scheduleFlush()
        } else {
            queueOutput(bytes)
        }
    }

    /// TLS only: what was written since the last flush, not yet encrypted.
    @exclusivity(unchecked) private var plaintext: [UInt8] = []

    /// TLS only: encrypts the plaintext written since the last flush into `output`. Server queue only
    /// (never on a send thread: the SSL object is also used for reading there).
    private func seal() {
        guard let tls, !plaintext.isEmpty else { return }
        let sealed = !tlsFailed && tls.encrypt(plaintext)
        plaintext.removeAll(keepingCapacity: plaintext.capacity <= 64 * 1024)
        guard sealed else {
            if !tlsFailed { failTLS(OpenSSLErrors.drain()) }
            return
        }
        output.queue(tls.takeCiphertext())
    }

    private func queueOutput(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        output.queue(bytes)
        scheduleFlush()
    }

    private func scheduleFlush() {
        if !flushScheduled && !writeSourceActive {
            flushScheduled = true
            flusher.schedule(self)
        }
    }

    /// Stops reading until `resumeReading`; the kernel's buffers then push back on the peer.
    package func pauseReading() {
        guard !output.readPaused, !isClosed else { return }
        output.readPaused = true
        updateReadSource()
    }

    package func resumeReading() {
        // After end of input there is nothing more to read: resuming would only see the end again.
        guard output.readPaused, !isClosed, !sawEndOfInput else { return }
        output.readPaused = false
        updateReadSource()
    }

    /// Suspends the read source while reading is paused or a handshake step runs elsewhere, resumes it
    /// when neither holds it.
    private func updateReadSource() {
        guard !isClosed else { return }
        let hold = output.readPaused || handshakeInFlight
        if hold && !readSuspended {
            readSource.suspend()
        } else if !hold && readSuspended {
            readSource.resume()
        }
        readSuspended = hold
    }

    /// Closes once everything written so far has been sent, or after `deadline` if the peer does
    /// not read it.
    func closeAfterFlush(reason: CloseReason, deadline: DispatchTimeInterval = .seconds(5)) {
        guard !isClosed else { return }
        pauseReading()
        seal()
        if let tls, !tlsFailed, !handshakeInFlight {
            tls.shutdown()
            queueOutput(tls.takeCiphertext())
        }
        output.closeWhenDrained(reason: reason)
        if output.isEmpty {
            close(reason: reason)
            return
        }
        queue.asyncAfterConfined(deadline) { [weak self] in self?.close(reason: reason) }
    }

    /// Closes now, dropping unsent output.
    package func close(reason: CloseReason) {
        guard !isClosed else { return }
        isClosed = true
        // Set before `cancel`: libdispatch applies a handler set on an active source before it runs
        // that source's cancellation, so the descriptor is closed once both sources are done with it.
        readSource.setCancelHandler { [self] in sourceCancelled() }
        readSource.cancel()
        if readSuspended {
            readSuspended = false
            readSource.resume()  // a suspended source never runs its cancel handler
        }
        if let writeSource {
            writeSource.setCancelHandler { [self] in sourceCancelled() }
            writeSource.cancel()
            if !writeSourceActive { writeSource.resume() }
            writeSourceActive = true
        }
        onHandshake = nil
        onTLSFailure = nil
        let onEvent = self.onEvent
        self.onEvent = nil
        onEvent?(.closed(reason))
    }

    /// What one attempt to send the pending output came to.
    enum SendOutcome {
        case drained
        case full(progressed: Bool)
        case failed
    }

    /// Sends what is buffered; called by the `FlushScheduler` at the end of a turn and by the write source.
    func flush() {
        flushScheduled = false
        guard !isClosed else { return }
        seal()
        guard !isClosed else { return }
        finishFlush(sendPending())
    }

    /// Sends as much pending output as the socket takes. It touches only this connection's buffer and
    /// descriptor, so the `FlushScheduler` may run it for different connections on several threads at
    /// once while the server queue waits for all of them (see `FlushScheduler.flushAll`).
    fileprivate func sendPending() -> SendOutcome {
        var progressed = false
        while !output.isEmpty {
            var failure: Int32 = 0
            let written = output.buffer.drain { bytes in
                let result = Glibc.send(fd, bytes.baseAddress, bytes.count, SocketFlags.noSignal)
                if result < 0 {
                    failure = errno
                    return 0
                }
                return result
            }
            if written > 0 {
                progressed = true
                continue
            }
            if failure == EINTR { continue }
            if failure == EAGAIN || failure == EWOULDBLOCK || failure == 0 { return .full(progressed: progressed) }
            return .failed
        }
        return .drained
    }

    /// For a `SendRing`, on the same terms as `sendPending`: the descriptor, the bytes pending, and a copy
    /// of the first `space.count` of them.
    fileprivate var socket: Int32 { fd }
    fileprivate var pendingCount: Int { output.pendingBytes }
    fileprivate func copyPending(into space: UnsafeMutableRawBufferPointer) {
        output.buffer.withPending { pending in
            space.copyMemory(from: UnsafeRawBufferPointer(rebasing: pending.prefix(space.count)))
        }
    }

    /// What a `SendRing`'s send of the first `length` pending bytes came to (`result`: bytes taken, or
    /// `-errno`), as `sendPending` would say it: when all of them went and more is pending (more than
    /// the ring takes per send), the rest goes by `send` calls of its own.
    fileprivate func finishRingSend(result: Int, length: Int) -> SendOutcome {
        guard length > 0 else { return sendPending() }
        guard result >= 0 else {
            let code = Int32(-result)
            if code == EAGAIN || code == EWOULDBLOCK { return .full(progressed: false) }
            if code == EINTR { return sendPending() }
            return .failed
        }
        output.buffer.consume(result)
        if output.isEmpty { return .drained }
        if result < length { return .full(progressed: result > 0) }
        switch sendPending() {
        case .full: return .full(progressed: true)
        case let outcome: return outcome
        }
    }

    /// Acts on what `sendPending` did: arms the write source, closes, or reports the drain. Server queue only.
    fileprivate func finishFlush(_ outcome: SendOutcome) {
        // A batch acts on its outcomes after all its sends, in order: what an earlier connection's event
        // ran (a drain that runs queued commands: /kick, /ban, ...) may have closed this one meanwhile.
        guard !isClosed else { return }
        switch outcome {
        case .full(let progressed):
            output.noteStalled(progressed: progressed)
            armWriteSource()
        case .failed:
            close(reason: .error)
        case .drained:
            disarmWriteSource()
            output.noteDrained()
            // Written to since its send (by an earlier connection's event in the same batch): not drained
            // yet. That write scheduled the next flush, which will say so.
            guard output.isEmpty && plaintext.isEmpty else { return scheduleFlush() }
            switch output.takeDrainAction() {
            case .close(let reason): close(reason: reason)
            case .reportDrained: onEvent?(.drained)
            case nil: break
            }
        }
    }

    /// Clears the flush mark as `flush` does. False when the connection must not be sent on in round
    /// `round`: it is closed, or it is already in this round (two threads must never share a connection).
    fileprivate func prepareForParallelFlush(round: Int) -> Bool {
        flushScheduled = false
        guard !isClosed, parallelFlushRound != round else { return false }
        seal()
        guard !isClosed else { return false }
        parallelFlushRound = round
        return true
    }
    private var parallelFlushRound = -1

    /// Asks for one `.drained` event once all pending output has been sent.
    package func notifyWhenDrained() {
        output.requestDrainNotification()
        if output.isEmpty && plaintext.isEmpty && !flushScheduled && !isClosed {
            // Nothing pending: let the next flush report the drain at once.
            flushScheduled = true
            flusher.schedule(self)
        }
    }

    private func armWriteSource() {
        if writeSource == nil {
            let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [self] in flush() }
            pendingCancelHandlers += 1
            writeSource = source
        }
        if !writeSourceActive {
            writeSourceActive = true
            writeSource?.resume()
        }
    }

    private func disarmWriteSource() {
        // An idle write source fires continuously (the socket is writable), so suspend it when drained.
        if writeSourceActive, let writeSource {
            writeSourceActive = false
            writeSource.suspend()
        }
    }

    /// Reads until the socket has nothing more (EAGAIN), at most `readsPerWakeup` times. Dispatch reports
    /// a peer's reset (EPOLLHUP) once: a client that closes without reading what it was sent, right
    /// after sending something, has its bytes and its reset arrive together, and a handler that read
    /// only the bytes never heard of the reset, so the session stayed open for good. Reading on to
    /// EAGAIN costs one more `recv` per wakeup.
    private func readAvailable(into buffer: ReadBuffer) {
        for _ in 0..<Self.readsPerWakeup {
            // Stop when the session closed or paused reading meanwhile (it holds input).
            guard !isClosed, !output.readPaused else { return }
            let count = buffer.bytes.withUnsafeMutableBytes { raw in
                Glibc.recv(fd, raw.baseAddress, raw.count, 0)
            }
            if count > 0, let tls {
                buffer.bytes.withUnsafeBytes { raw in tls.feed(UnsafeRawBufferPointer(rebasing: raw[0..<count])) }
                if !tls.isEstablished, let handshakes {
                    return handshakeElsewhere(tls, on: handshakes, buffer: buffer)
                }
                decrypt(tls, into: buffer)
            } else if count > 0 {
                buffer.bytes.withUnsafeBytes { raw in
                    onEvent?(.input(UnsafeRawBufferPointer(rebasing: raw[0..<count])))
                }
            } else if count == 0 {
                // The peer will send no more. Stop reading; the session decides when to close.
                return endOfInput()
            } else if errno == EINTR {
                continue
            } else {
                if errno != EAGAIN && errno != EWOULDBLOCK { close(reason: .error) }
                return
            }
        }
    }

    /// Reads per wakeup of the read source, so one flooding client cannot hold the queue.
    static let readsPerWakeup = 4

    /// Stops reading for good and tells the owner, once; closes when nobody listens.
    private func endOfInput() {
        guard !sawEndOfInput else { return }
        sawEndOfInput = true
        pauseReading()
        if let onEvent { onEvent(.endOfInput) } else { close(reason: .peerClosed) }
    }

    /// Runs one step of the handshake with what has been fed on the `handshakes` pool, with reading held
    /// meanwhile, so the server queue never does a key exchange or signs: the step that answers a
    /// ClientHello costs about a millisecond, and a client can start one for every connection it opens.
    /// The filter is handed to the pool's thread and back: nothing on the server queue touches it while
    /// the step runs (reading is held, nothing is written before the handshake, and `close` leaves it).
    private func handshakeElsewhere(_ tls: TLSFilter, on handshakes: FairPool, buffer: ReadBuffer) {
        handshakeInFlight = true
        updateReadSource()
        let handOff = HandOff(tls)
        handshakes.submit(
            for: peerHost,
            {
                let step = handOff.value.handshake()
                return HandOff((step, handOff.value.takeCiphertext()))
            },
            completion: { [self] (result: HandOff<(TLSFilter.Step, [UInt8])>) in
                handshakeInFlight = false
                guard !isClosed else { return }
                let (step, ciphertext) = result.value
                queueOutput(ciphertext)
                handshakeStepped(tls, step, buffer: buffer)
                updateReadSource()
                // What came meanwhile, a reset included: Dispatch reports a reset once, and it may have
                // come while the source was held.
                if !output.readPaused && !handshakeInFlight { readAvailable(into: buffer) }
            })
    }

    /// Advances the handshake, then hands the plaintext to `onEvent`; sends what TLS has to say.
    private func decrypt(_ tls: TLSFilter, into buffer: ReadBuffer) {
        if !tls.isEstablished {
            let step = tls.handshake()
            queueOutput(tls.takeCiphertext())
            return handshakeStepped(tls, step, buffer: buffer)
        }
        readEstablished(tls, into: buffer)
    }

    /// After a handshake step: reports its end and reads what came with it, or fails.
    private func handshakeStepped(_ tls: TLSFilter, _ step: TLSFilter.Step, buffer: ReadBuffer) {
        if case .established = step {
            let handler = onHandshake
            onHandshake = nil
            handler?()
        }
        guard !isClosed else { return }
        if tls.isEstablished { return readEstablished(tls, into: buffer) }
        ended(by: step)
    }

    /// Hands the plaintext available to `onEvent`; sends what TLS has to say.
    private func readEstablished(_ tls: TLSFilter, into buffer: ReadBuffer) {
        var step = TLSFilter.Step.wantMore
        if !isClosed {
            step = buffer.bytes.withUnsafeMutableBytes { raw in
                // All of it, even if the session pauses reading: what one read brings in is bounded by
                // the read buffer, as on the plain door, and plaintext left inside OpenSSL would not
                // wake the read source again.
                tls.readPlaintext(into: raw) { [self] plaintext in
                    onEvent?(.input(plaintext))
                    return !isClosed
                }
            }
            if !isClosed { queueOutput(tls.takeCiphertext()) }
        }
        guard !isClosed else { return }
        ended(by: step)
    }

    /// Acts on a step that ends the stream: a TLS failure, or the peer's close_notify.
    private func ended(by step: TLSFilter.Step) {
        switch step {
        case .failed(let reason):
            failTLS(reason)
        case .closedByPeer:
            endOfInput()
        case .wantMore, .established:
            break
        }
    }

    /// Ends the connection after a TLS error: the alert OpenSSL wrote tells the client why, so it is
    /// sent before closing (for at most a second); nothing more is read, encrypted or reported.
    private func failTLS(_ reason: String) {
        guard !tlsFailed else { return }
        tlsFailed = true
        let handler = onTLSFailure
        onTLSFailure = nil
        queueOutput(tls?.takeCiphertext() ?? [])
        closeAfterFlush(reason: .error, deadline: .seconds(1))
        handler?(reason)
    }
    private var tlsFailed = false

    private func sourceCancelled() {
        pendingCancelHandlers -= 1
        if pendingCancelHandlers == 0 { Glibc.close(fd) }
    }
}

extension Connection: SessionOutput {
    package func closeAfterFlush(reason: CloseReason) {
        closeAfterFlush(reason: reason, deadline: .seconds(5))
    }
}

/// Its sends alone are lent to a flush's send threads (`ParallelSends`), while the server queue waits.
@available(*, unavailable) extension Connection: Sendable {}

/// One read buffer shared by every connection on the server queue: reads happen one at a time there,
/// so idle connections hold no buffer of their own. Confined to the server queue.
package final class ReadBuffer {
    package var bytes: [UInt8]
    package init(size: Int = 64 * 1024) { bytes = [UInt8](repeating: 0, count: size) }
}

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
package final class FlushScheduler {
    private let queue: DispatchQueue
    private let sendThreads: Int
    /// One io_uring per send thread (`SendRing`), when asked for and the kernel allows it: a batch's
    /// sends then go in one system call per thread rather than one each. Empty: one `send` each.
    private let rings: [SendRing]
    /// Why there are no rings although they were asked for (for the start log line).
    package let ringsUnavailable: SendRing.Unavailable?
    /// True when sends go through io_uring.
    package var usesRings: Bool { !rings.isEmpty }
    /// Connections to flush, in order; those before `dirtyStart` are done.
    private var dirty: [Connection] = []
    private var dirtyStart = 0
    private var round = 0
    /// Below this many connections one thread sends them all: waking a second costs more than it saves.
    package static let defaultParallelThreshold = 128
    private let parallelThreshold: Int
    /// Connections sent to per block of the server queue (see above).
    static let flushChunk = 1024
    /// Entries in the list of connections to flush, those already done included (for tests).
    var listLength: Int { dirty.count }

    package init(
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
        dirty.append(connection)
        if dirty.count - dirtyStart == 1 {
            queue.asyncConfined { [self] in flushAll() }
        }
    }

    private func flushAll() {
        let end = min(dirty.count, dirtyStart + Self.flushChunk)
        let connections = Array(dirty[dirtyStart..<end])
        dirtyStart = end
        if dirtyStart == dirty.count {
            dirty.removeAll(keepingCapacity: dirty.capacity <= 4 * Self.flushChunk)
            dirtyStart = 0
        } else {
            // Under steady load the list never empties (connections sent to come back at its end while
            // the rest wait), so what is done is dropped here, or it would grow by a walk per post.
            if dirtyStart >= Self.flushChunk && dirtyStart * 2 >= dirty.count {
                dirty.removeSubrange(0..<dirtyStart)
                dirtyStart = 0
            }
            queue.asyncConfined { [self] in flushAll() }
        }
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

/// TCP keepalive settings that find a vanished peer in about two minutes without traffic of our own.
enum Keepalive {
    static let idleSeconds: Int32 = 60
    static let intervalSeconds: Int32 = 10
    static let probes: Int32 = 6

    static func enable(on fd: Int32) {
        SocketAddress.setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1)
        SocketAddress.setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, idleSeconds)
        SocketAddress.setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, intervalSeconds)
        SocketAddress.setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, probes)
    }
}
