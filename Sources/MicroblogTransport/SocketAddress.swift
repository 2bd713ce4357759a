import MicroblogModel
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Socket helpers over the C API: resolving a listen address and printing peers.
public enum SocketAddress {
    /// Resolves a numeric host (or `localhost`) and a port for `bind`.
    static func resolve(host: String, port: UInt16) throws -> (family: Int32, address: [UInt8]) {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let info = result else {
            throw TransportError.resolve(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }
        let bytes = UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen))
        return (info.pointee.ai_family, Array(bytes))
    }

    /// `127.0.0.1:4242` or `[::1]:4242`.
    static func describe(_ storage: sockaddr_storage) -> String {
        var copy = storage
        // Numeric text only (NI_NUMERICHOST): an IPv6 address with a zone fits in 64 bytes, a port in 8.
        // The buffers live on the stack: this runs for every accepted connection.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 96) { buffer in
            buffer.initialize(repeating: 0)
            let host = buffer.baseAddress!
            let service = host + 80
            let status = withUnsafePointer(to: &copy) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    getnameinfo(
                        $0, socklen_t(MemoryLayout<sockaddr_storage>.size), host, 80, service, 16,
                        NI_NUMERICHOST | NI_NUMERICSERV)
                }
            }
            guard status == 0 else { return "unknown" }
            let hostString = String(cString: host)
            let portString = String(cString: service)
            return storage.ss_family == sa_family_t(AF_INET6)
                ? "[\(hostString)]:\(portString)" : "\(hostString):\(portString)"
        }
    }

    /// The address a connected socket `fd` was reached at, as `describe` writes it (`127.0.0.1:4243`).
    static func local(_ fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return status == 0 ? describe(storage) : "unknown"
    }

    /// The host part alone, for per-address accounting.
    /// The client's address as its limits and budgets count it (`limitKey`).
    static func host(_ storage: sockaddr_storage) -> String {
        let full = describe(storage)
        if full.hasPrefix("["), let end = full.firstIndex(of: "]") {
            return limitKey(String(full[full.index(after: full.startIndex)..<end]))
        }
        return String(full.split(separator: ":").first ?? "unknown")
    }

    /// What every per-address limit and budget counts by: an IPv4 address as it is; an IPv6 address by
    /// its /64 (`2001:db8:1:2::/64`), since one host is normally given a whole /64 and could otherwise
    /// take a fresh budget with every address in it; an IPv4-mapped one as its IPv4 address. Loopback,
    /// the unspecified address and anything that does not parse (a zone index) stay as they are.
    public static func limitKey(_ host: String) -> String {
        guard host.contains(":") else { return host }
        var address = in6_addr()
        guard inet_pton(AF_INET6, host, &address) == 1 else { return host }
        var bytes = withUnsafeBytes(of: &address) { Array($0) }
        let zeroPrefix = bytes[0..<10].allSatisfy { $0 == 0 }
        if zeroPrefix && bytes[10] == 0xff && bytes[11] == 0xff {
            return bytes[12...].map { String($0) }.joined(separator: ".")
        }
        if zeroPrefix && bytes[10..<15].allSatisfy({ $0 == 0 }) { return host }
        for index in 8..<16 { bytes[index] = 0 }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            buffer.initialize(repeating: 0)
            let written = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, buffer.baseAddress, 64) }
            return written == nil ? host : String(cString: buffer.baseAddress!) + "/64"
        }
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    public static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }
}

/// Failures setting up sockets; `description` says what to fix.
public enum TransportError: Error, CustomStringConvertible {
    case resolve(host: String, reason: String)
    case system(call: String, errno: Int32)
    /// The address to listen on is taken (EADDRINUSE), said with what to do about it.
    case addressInUse(address: String)

    public var description: String {
        switch self {
        case .resolve(let host, let reason): return "cannot use host \(host): \(reason)"
        case .addressInUse(let address):
            return "cannot listen on \(address): another program (perhaps another microblogd) is using it"
        case .system(let call, let code): return "\(call) failed: \(String(cString: strerror(code)))"
        }
    }
}
