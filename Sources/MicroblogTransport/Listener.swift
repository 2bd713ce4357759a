import Dispatch
import MicroblogModel
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The listening socket and its accept source. Confined to the server queue.
///
/// Accepts in a loop until `EAGAIN` (at most `acceptsPerWakeup` at a time). When the process runs out of descriptors (`EMFILE`, `ENFILE`),
/// the pending connection cannot be taken and the source would fire in a tight loop, so accepting
/// pauses for `acceptPause` and then resumes.
public final class Listener {
    public struct Accepted {
        public let fd: Int32
        public let peer: String
        public let peerHost: String

        /// A socket accepted elsewhere (the web door's, handed back by libmicrohttpd for a live stream).
        public init(fd: Int32, peer: String, peerHost: String) {
            self.fd = fd
            self.peer = peer
            self.peerHost = peerHost
        }
    }

    static let acceptPause: DispatchTimeInterval = .milliseconds(100)

    let fd: Int32
    /// The address actually bound, e.g. `127.0.0.1:4242` (with the real port when 0 was asked for).
    public let boundAddress: String
    private let queue: DispatchQueue
    /// Created by `start`, so a listener that never starts owns no Dispatch source (releasing a source
    /// that was never resumed crashes) and just closes its socket.
    private var source: DispatchSourceRead?
    private(set) var paused = false
    private var cancelled = false
    /// Called with each new connection, and with accept errors worth a log line. Set before `start`.
    public var onAccept: (Accepted) -> Void = { Glibc.close($0.fd) }
    public var onError: (String) -> Void = { _ in }

    /// Binds and listens at once (so a taken port is reported before anything else is set up);
    /// accepting begins with `start`.
    public init(host: String, port: UInt16, backlog: Int32 = 1024, queue: DispatchQueue) throws {
        let (family, address) = try SocketAddress.resolve(host: host, port: port)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TransportError.system(call: "socket", errno: errno) }
        SocketAddress.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        let bound = address.withUnsafeBytes {
            bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            if code == EADDRINUSE { throw TransportError.addressInUse(address: "\(host):\(port)") }
            throw TransportError.system(call: "bind to \(host):\(port)", errno: code)
        }
        guard listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TransportError.system(call: "listen", errno: code)
        }
        SocketAddress.setNonBlocking(fd)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.boundAddress = SocketAddress.describe(storage)
        self.queue = queue
    }

    deinit {
        if source == nil { Glibc.close(fd) }
    }

    public func start() {
        guard source == nil, !cancelled else { return }
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [weak self] in self?.acceptAll() }
        source.setCancelHandler { [fd] in Glibc.close(fd) }
        self.source = source
        source.resume()
    }

    /// Stops accepting and closes the socket. Safe to call more than once.
    public func stop() {
        queue.checkConfined()
        guard !cancelled else { return }
        cancelled = true
        guard let source else { return }  // never started: deinit closes the socket
        source.cancel()
        if paused {
            paused = false
            source.resume()  // a suspended source never runs its cancel handler
        }
    }

    /// Connections accepted per wakeup: a flood of connections then waits its turn behind what else the
    /// queue has to do (the source fires again while more wait), instead of holding the queue until the
    /// kernel's backlog is empty.
    static let acceptsPerWakeup = 64

    /// When every connection a wakeup took was refused at once (`refuse`, `noteRefusal`), accepting pauses
    /// this long: a client opening connections as fast as it can, past its budget, then costs the queue
    /// at most a wakeup's refusals per pause (64 per 20 ms, and about 850 a second from 16 connections in
    /// flight), and the rest wait in the kernel's backlog instead of each taking an accept and a close.
    /// (Pausing only after a full wakeup of refusals never paused for such a client: 16 connections at a
    /// time never fill one, and it cost 15,000 refusals a second.) A wakeup that admits anyone does not
    /// pause; an honest client that comes meanwhile waits at most the pause.
    var refusalPause: DispatchTimeInterval = .milliseconds(20)
    private var refusedThisWakeup = 0

    /// Closes a connection just accepted and refused before anything was said on it, with a reset (no
    /// FIN exchange, no TIME_WAIT left on the server), and counts it toward `refusalPause`.
    public func refuse(_ accepted: Accepted) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(accepted.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(accepted.fd)
        noteRefusal()
    }

    /// Counts a connection just accepted and turned away by the caller (after saying why), toward
    /// `refusalPause`.
    public func noteRefusal() { refusedThisWakeup += 1 }

    private func acceptAll() {
        var accepted = 0
        var taken = 0
        refusedThisWakeup = 0
        defer {
            if taken > 0 && refusedThisWakeup >= taken && !cancelled && !paused { pause(for: refusalPause) }
        }
        while !cancelled && !paused && accepted < Self.acceptsPerWakeup {
            accepted += 1
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(fd, $0, &length) }
            }
            if client >= 0 {
                taken += 1
                SocketAddress.setNonBlocking(client)
                onAccept(
                    Accepted(fd: client, peer: SocketAddress.describe(storage), peerHost: SocketAddress.host(storage)))
                continue
            }
            switch errno {
            case EAGAIN, EWOULDBLOCK:
                return
            case EINTR, ECONNABORTED, EPROTO:
                continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                onError("accept: \(String(cString: strerror(errno))); pausing accepts")
                pause(for: Self.acceptPause)
                return
            default:
                onError("accept: \(String(cString: strerror(errno)))")
                return
            }
        }
    }

    /// Stops accepting for `interval` (a door whose costly work has a queue that is full); what arrives
    /// meanwhile waits in the kernel's backlog.
    public func pauseAccepting(for interval: DispatchTimeInterval) {
        queue.checkConfined()
        guard !cancelled, !paused else { return }
        pause(for: interval)
    }

    private func pause(for interval: DispatchTimeInterval) {
        paused = true
        source?.suspend()
        queue.asyncAfterConfined(interval) { [weak self] in
            guard let self, self.paused, !self.cancelled else { return }
            self.paused = false
            self.source?.resume()
        }
    }
}

@available(*, unavailable) extension Listener: Sendable {}
