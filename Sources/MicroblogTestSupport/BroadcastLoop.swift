import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The benchmark's floor: a bare broadcast loop. One Dispatch serial queue, a listening socket on
/// 127.0.0.1, a read source per connection, and every chunk read sent to every other connection with
/// one non-blocking `send` each. No protocol, no storage, no limits and no output buffer: a `send` that
/// cannot take the whole chunk (a full socket buffer) loses the rest, counted in `droppedBytes`, so a
/// load generator must pace itself (see microblog-bench's `compare`).
///
/// All mutable state is confined to `queue`; `port` is fixed at creation. Its owner calls `stop` (the
/// sources hold it until then).
public final class BroadcastLoop: @unchecked Sendable {
    public let port: UInt16
    private let queue = DispatchQueue(label: "microblog-bench.bare-loop")
    private let listener: Int32
    /// Confined to `queue`.
    private var listenSource: DispatchSourceRead?
    private var listenSuspended = false
    /// Confined to `queue`: the open connections (for the broadcast walk) and each one's read source.
    private var peers: [Int32] = []
    private var sources: [Int32: DispatchSourceRead] = [:]
    private var droppedByteCount = 0
    private var chunk = [UInt8](repeating: 0, count: 65536)
    /// How long accepting pauses when the process is out of descriptors.
    private static let acceptPauseOnEMFILE = DispatchTimeInterval.milliseconds(100)

    /// Listens on 127.0.0.1:`port` (0: a free port, see `port`) and starts serving.
    public init(port: UInt16 = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, SOMAXCONN) == 0 else {
            let code = errno
            close(fd)
            throw TestFailure("cannot listen on 127.0.0.1:\(port): errno \(code)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        listener = fd
        self.port = UInt16(bigEndian: address.sin_port)
        queue.sync {
            // libdispatch opens its timer descriptor on first use; a first timer asked for at EMFILE
            // would never fire, so one harmless timer now.
            queue.asyncAfter(deadline: .now()) {}
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [self] in acceptAll() }
            source.setCancelHandler { close(fd) }
            listenSource = source
            source.resume()
        }
    }

    /// Open connections.
    public var connectionCount: Int { queue.sync { peers.count } }

    /// Bytes that did not fit into a receiver's socket buffer and were dropped.
    public var droppedBytes: Int { queue.sync { droppedByteCount } }

    /// Closes the listening socket and every connection.
    public func stop() {
        queue.sync {
            if let listenSource {
                if listenSuspended { listenSource.resume() }
                listenSource.cancel()
                self.listenSource = nil
            }
            for source in sources.values { source.cancel() }
            sources = [:]
            peers = []
        }
    }

    private func acceptAll() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EMFILE || errno == ENFILE, let listenSource, !listenSuspended {
                    // The listening source would keep firing and spin a core: pause it.
                    listenSuspended = true
                    listenSource.suspend()
                    queue.asyncAfter(deadline: .now() + Self.acceptPauseOnEMFILE) { [weak self] in
                        guard let self, self.listenSuspended, let source = self.listenSource else { return }
                        self.listenSuspended = false
                        source.resume()
                    }
                }
                return
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [self] in readAndBroadcast(fd) }
            source.setCancelHandler { close(fd) }
            sources[fd] = source
            peers.append(fd)
            source.resume()
        }
    }

    private func readAndBroadcast(_ fd: Int32) {
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return }
        guard count > 0 else {
            sources.removeValue(forKey: fd)?.cancel()
            if let index = peers.firstIndex(of: fd) {
                peers.swapAt(index, peers.count - 1)
                peers.removeLast()
            }
            return
        }
        chunk.withUnsafeBytes { bytes in
            for peer in peers where peer != fd {
                let sent = Glibc.send(peer, bytes.baseAddress, count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if sent < count { droppedByteCount += count - max(0, sent) }
            }
        }
    }
}
