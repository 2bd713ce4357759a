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
public final class Connection {
    let id: Int
    let peer: String
    let peerHost: String
    let fd: Int32
    let queue: DispatchQueue
    let flusher: FlushScheduler
    let readSource: DispatchSourceRead
    var writeSource: DispatchSourceWrite?
    @exclusivity(unchecked) var writeSourceActive = false
    /// The source is held while reading is paused by the owner (`output.readPaused`) or while a TLS
    /// handshake step runs elsewhere (`handshakeInFlight`). `readSuspended` says whether it is suspended now.
    var handshakeInFlight = false
    var readSuspended = false
    /// Pending bytes, the stall clock, paused reading, and what is due once drained.
    @exclusivity(unchecked) var output = OutputState()
    @exclusivity(unchecked) var flushScheduled = false
    var pendingCancelHandlers = 1
    @exclusivity(unchecked) public private(set) var isClosed = false

    /// What the connection tells its owner, through `onEvent`: one closure rather than one per kind,
    /// since each closure's context is an allocation that every connection keeps for its life.
    public enum Event {
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
    public var onEvent: ((Event) -> Void)?
    /// TLS connections only: called once when the handshake completes, and once with OpenSSL's
    /// reason when TLS fails (the connection is then closed).
    public var onHandshake: (() -> Void)?
    public var onTLSFailure: ((String) -> Void)?
    var sawEndOfInput = false
    /// When output last made progress while some was pending; nil when nothing is pending.
    public var stalledSince: Double? { output.stalledSince }
    /// The TLS door's filter: input is decrypted before `onEvent`, output encrypted in `write`.
    let tls: TLSFilter?
    /// Set once a TLS error ended the connection: nothing more is read, encrypted or reported.
    var tlsFailed = false
    /// The parallel flush round this connection was last sealed for (see `prepareForParallelFlush`).
    var parallelFlushRound = -1
    /// Where the TLS handshake's steps run (the key exchange and the certificate's signature): a pool shared
    /// fairly by client addresses, off the server queue. Nil: on the server queue (tests of the filter).
    public var handshakes: FairPool?
    /// Which door the connection came in by.
    public var door: Door { tls == nil ? .plain : .tls }

    /// Bytes accepted by `write` but not yet taken by the kernel.
    public var pendingOutputBytes: Int { output.pendingBytes + plaintext.count }

    public init(
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

    public func start() {
        queue.checkConfined()
        readSource.resume()
    }

    /// Queues bytes for the peer; they are sent at the end of this turn of the queue.
    public func write(_ bytes: [UInt8]) {
        // Not checked here: this runs once per receiver of every live post, and every way in to it is
        // checked already (the hub's delivery walk, the domain's entry points, this connection's own
        // sources, which run on `queue`). A check here cost a tenth of the burst throughput
        // (docs/performance.md); the connection's other entry points check in every build.
        guard !isClosed, !bytes.isEmpty else { return }
        if tls != nil {
            // Sealed once per flush (`seal`), so a turn's messages make one SSL_write, not one each.
            guard !tlsFailed else { return }
            // The first write of a turn keeps the writer's array (a live post's rendering, shared by every
            // receiver): a reference count, not a copy. A second one copies and appends.
            if plaintext.isEmpty { plaintext = bytes } else { plaintext.append(contentsOf: bytes) }
            scheduleFlush()
        } else {
            queueOutput(bytes)
        }
    }

    /// TLS only: what was written since the last flush, not yet encrypted.
    @exclusivity(unchecked) var plaintext: [UInt8] = []

    /// TLS only: encrypts the plaintext written since the last flush into `output`. Server queue only
    /// (never on a send thread: the SSL object is also used for reading there).
    func seal() {
        guard let tls, !plaintext.isEmpty else { return }
        let sealed = !tlsFailed && tls.encrypt(plaintext)
        // Let go of it: an idle connection holds no plaintext memory.
        plaintext = []
        guard sealed else {
            if !tlsFailed { failTLS(OpenSSLErrors.drain()) }
            return
        }
        output.queue(tls.takeCiphertext())
    }

    func queueOutput(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        output.queue(bytes)
        scheduleFlush()
    }

    func scheduleFlush() {
        if !flushScheduled && !writeSourceActive {
            flushScheduled = true
            flusher.schedule(self)
        }
    }

    /// Stops reading until `resumeReading`; the kernel's buffers then push back on the peer.
    public func pauseReading() {
        queue.checkConfined()
        guard !output.readPaused, !isClosed else { return }
        output.readPaused = true
        updateReadSource()
    }

    public func resumeReading() {
        queue.checkConfined()
        // After end of input there is nothing more to read: resuming would only see the end again.
        guard output.readPaused, !isClosed, !sawEndOfInput else { return }
        output.readPaused = false
        updateReadSource()
    }

    /// Suspends the read source while reading is paused or a handshake step runs elsewhere, resumes it
    /// when neither holds it.
    func updateReadSource() {
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
    public func close(reason: CloseReason) {
        queue.checkConfined()
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

    /// Asks for one `.drained` event once all pending output has been sent.
    public func notifyWhenDrained() {
        queue.checkConfined()
        output.requestDrainNotification()
        if output.isEmpty && plaintext.isEmpty && !flushScheduled && !isClosed {
            // Nothing pending: let the next flush report the drain at once.
            flushScheduled = true
            flusher.schedule(self)
        }
    }

    func armWriteSource() {
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

    func disarmWriteSource() {
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
    func readAvailable(into buffer: ReadBuffer) {
        for _ in 0..<Self.readsPerWakeup {
            // Stop when the session closed or paused reading meanwhile (it holds input).
            guard !isClosed, !output.readPaused else { return }
            let count = buffer.bytes.withUnsafeMutableBytes { raw in
                Glibc.recv(fd, raw.baseAddress, raw.count, 0)
            }
            if count > 0, let tls {
                if !tls.hasInput, let answer = tls.plainTextAnswer, TLSFilter.isPlainText(firstByte: buffer.bytes[0]) {
                    return answerInPlainText(answer)
                }
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
    func endOfInput() {
        guard !sawEndOfInput else { return }
        sawEndOfInput = true
        pauseReading()
        if let onEvent { onEvent(.endOfInput) } else { close(reason: .peerClosed) }
    }

    func sourceCancelled() {
        pendingCancelHandlers -= 1
        if pendingCancelHandlers == 0 { Glibc.close(fd) }
    }
}

extension Connection: SessionOutput {
    public func closeAfterFlush(reason: CloseReason) {
        queue.checkConfined()
        closeAfterFlush(reason: reason, deadline: .seconds(5))
    }
}

/// Its sends alone are lent to a flush's send threads (`ParallelSends`), while the server queue waits.
@available(*, unavailable) extension Connection: Sendable {}
