import MicroblogModel
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a PROXY protocol v1 header said about the connection behind the proxy.
///
/// A plain value, safe to share between threads.
public struct ProxyHeader: Equatable, Sendable {
    /// Where the proxied client connected from.
    public enum Source: Equatable, Sendable {
        case tcp4(host: String, port: UInt16)
        case tcp6(host: String, port: UInt16)
        /// `PROXY UNKNOWN`: the proxy did not say, so the socket's own peer address is the one to use.
        case unknown
    }

    /// One end of a proxied TCP connection. `host` is in canonical text form (as `inet_ntop` writes it).
    public struct Endpoint: Equatable, Sendable {
        public var host: String
        public var port: UInt16

        public init(host: String, port: UInt16) {
            self.host = host
            self.port = port
        }
    }

    public var source: Source
    /// The address the client connected to at the proxy; nil for `UNKNOWN`.
    public var destination: Endpoint?

    public init(source: Source, destination: Endpoint?) {
        self.source = source
        self.destination = destination
    }

    /// The client's host, `1.2.3.4` or `2001:db8::1`; nil for `UNKNOWN`.
    public var clientHost: String? {
        switch source {
        case .tcp4(let host, _), .tcp6(let host, _): return host
        case .unknown: return nil
        }
    }

    /// The client's address as the logs print peers, `1.2.3.4:5678` or `[2001:db8::1]:5678`; nil for `UNKNOWN`.
    public var clientAddress: String? {
        switch source {
        case .tcp4(let host, let port): return "\(host):\(port)"
        case .tcp6(let host, let port): return "[\(host)]:\(port)"
        case .unknown: return nil
        }
    }
}

/// Reads the PROXY protocol v1 header (HAProxy's text form) that a proxy sends before the client's bytes.
///
/// The header is one line of at most `maxLength` bytes, CR LF included:
/// `PROXY TCP4 <src ip> <dst ip> <src port> <dst port>\r\n`, the same with `TCP6` and IPv6 addresses, or
/// `PROXY UNKNOWN`, optionally followed by a space and anything, up to CR LF. Fields are separated by
/// exactly one space; addresses must pass `inet_pton` for their family; ports are decimal 0-65535
/// without leading zeros. Only CR LF ends the line: a bare LF, a CR not followed by LF, or a NUL byte is
/// invalid. See https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt.
///
/// Bytes may arrive in any pieces, one at a time included. Input is rejected at the first byte that no
/// valid header could continue with (a client typing `hello` is turned away at the `h`), and at the
/// `maxLength`th byte if that byte does not end the header, so a peer cannot make us wait or buffer.
///
/// A pure value: no sockets, no queues. Owned by whoever owns the connection.
public struct ProxyHeaderParser: Sendable {
    /// The longest header, CR LF included, that the specification allows.
    public static let maxLength = 107

    /// What `feed` found.
    public enum Outcome: Equatable, Sendable {
        /// Valid so far; the header is not complete yet.
        case needMore
        /// The header is complete. `consumed` counts the bytes of the last `feed` call's input that belong
        /// to it; the rest of that input is the client's first data.
        case done(ProxyHeader, consumed: Int)
        /// Not a valid PROXY v1 header; the reason is short and meant for a log line.
        case invalid(String)
    }

    private enum Family: Sendable {
        case tcp4, tcp6
    }

    private enum Stage: Sendable {
        /// Matching `PROXY `.
        case magic
        /// Matching `TCP4 `, `TCP6 ` or `UNKNOWN`.
        case family
        /// After `UNKNOWN `: anything up to CR LF.
        case unknownRest
        /// The two addresses and two ports of `TCP4` or `TCP6`.
        case fields(Family)
        /// CR seen and the header valid: only LF may follow.
        case lineFeed(ProxyHeader)
        /// An outcome was returned; later calls repeat it.
        case finished(Outcome)
    }

    private enum Step {
        case more
        case done(ProxyHeader)
        case invalid(String)
    }

    private static let magic = Array("PROXY ".utf8)
    private static let families = ["TCP4 ", "TCP6 ", "UNKNOWN "].map { Array($0.utf8) }
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let maxIPv4Length = 15  // 255.255.255.255
    private static let maxIPv6Length = 45  // ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255

    private var stage: Stage = .magic
    /// The header's bytes so far; never more than `maxLength`.
    private var line: [UInt8] = []
    /// Where the current TCP field starts in `line`.
    private var fieldStart = 0
    /// Completed TCP fields: source and destination host, then source and destination port.
    private var hosts: [String] = []
    private var ports: [UInt16] = []

    public init() {
        line.reserveCapacity(Self.maxLength)
    }

    /// Feeds the next bytes. On `.done`, `consumed` is how many bytes of this call's input belong to the
    /// header; the rest are the client's first data and must be passed on untouched. After `.done` or
    /// `.invalid` the parser is finished: further calls repeat the outcome and consume nothing.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        if case .finished(let outcome) = stage {
            if case .done(let header, _) = outcome { return .done(header, consumed: 0) }
            return outcome
        }
        for (index, byte) in bytes.enumerated() {
            let outcome: Outcome
            switch step(byte) {
            case .more: continue
            case .done(let header): outcome = .done(header, consumed: index + 1)
            case .invalid(let reason): outcome = .invalid(reason)
            }
            stage = .finished(outcome)
            line = []
            return outcome
        }
        return .needMore
    }

    private mutating func step(_ byte: UInt8) -> Step {
        line.append(byte)
        let result = advance(byte)
        if case .more = result, line.count >= Self.maxLength {
            return .invalid("header longer than \(Self.maxLength) bytes")
        }
        return result
    }

    private mutating func advance(_ byte: UInt8) -> Step {
        switch stage {
        case .magic:
            guard byte == Self.magic[line.count - 1] else { return .invalid("not a PROXY header") }
            if line.count == Self.magic.count { stage = .family }
            return .more
        case .lineFeed(let header):
            return byte == Self.lf ? .done(header) : .invalid("CR not followed by LF")
        case .finished:
            return .more  // not reached: `feed` returns before stepping a finished parser
        case .family, .unknownRest, .fields:
            break
        }
        switch byte {
        case 0: return .invalid("NUL byte in header")
        case Self.lf: return .invalid("LF without CR")
        case Self.cr: return endOfLine()
        default: break
        }
        switch stage {
        case .family:
            return familyByte()
        case .fields(let family):
            return fieldByte(byte, family: family)
        default:
            return .more  // .unknownRest takes anything but NUL, CR and LF
        }
    }

    private mutating func familyByte() -> Step {
        let token = line[Self.magic.count...]
        guard let family = Self.families.first(where: { $0.starts(with: token) }) else {
            return .invalid("unknown protocol family")
        }
        guard token.count == family.count else { return .more }
        switch family[3] {
        case UInt8(ascii: "4"): stage = .fields(.tcp4)
        case UInt8(ascii: "6"): stage = .fields(.tcp6)
        default: stage = .unknownRest
        }
        fieldStart = line.count
        return .more
    }

    private mutating func fieldByte(_ byte: UInt8, family: Family) -> Step {
        let index = hosts.count + ports.count
        if byte == Self.space {
            if line.count - 1 == fieldStart { return .invalid("extra space") }
            if let reason = endField(family: family) { return .invalid(reason) }
            if index == 3 { return .invalid("too many fields") }
            fieldStart = line.count
            return .more
        }
        let field = line[fieldStart...]
        if index < 2 {
            return Self.couldBeAddress(field, family: family) ? .more : .invalid(Self.badField(index))
        }
        return Self.couldBePort(field) ? .more : .invalid(Self.badField(index))
    }

    /// CR has just been appended: everything before it must be a whole header.
    private mutating func endOfLine() -> Step {
        switch stage {
        case .family:
            let token = line[Self.magic.count..<(line.count - 1)]
            if token.elementsEqual("UNKNOWN".utf8) {
                return expectLineFeed(ProxyHeader(source: .unknown, destination: nil))
            }
            if token.elementsEqual("TCP4".utf8) || token.elementsEqual("TCP6".utf8) {
                return .invalid("missing fields")
            }
            return .invalid("unknown protocol family")
        case .unknownRest:
            return expectLineFeed(ProxyHeader(source: .unknown, destination: nil))
        case .fields(let family):
            if line.count - 1 == fieldStart { return .invalid("missing fields") }
            if let reason = endField(family: family) { return .invalid(reason) }
            guard hosts.count == 2, ports.count == 2 else { return .invalid("missing fields") }
            let source: ProxyHeader.Source =
                family == .tcp4
                ? .tcp4(host: hosts[0], port: ports[0]) : .tcp6(host: hosts[0], port: ports[0])
            return expectLineFeed(ProxyHeader(source: source, destination: .init(host: hosts[1], port: ports[1])))
        case .magic, .lineFeed, .finished:
            return .invalid("not a PROXY header")  // not reached: `advance` handles these stages first
        }
    }

    private mutating func expectLineFeed(_ header: ProxyHeader) -> Step {
        stage = .lineFeed(header)
        return .more
    }

    /// Checks the field that the byte just appended ends, and keeps its value; returns why it is bad.
    private mutating func endField(family: Family) -> String? {
        let index = hosts.count + ports.count
        let field = line[fieldStart..<(line.count - 1)]
        if index < 2 {
            guard let host = Self.canonicalHost(field, family: family) else { return Self.badField(index) }
            hosts.append(host)
        } else {
            guard let port = Self.port(field) else { return Self.badField(index) }
            ports.append(port)
        }
        return nil
    }

    private static func badField(_ index: Int) -> String {
        ["bad source address", "bad destination address", "bad source port", "bad destination port"][index]
    }

    /// Whether `field` could be the start of an address of `family`: only its characters, short enough.
    private static func couldBeAddress(_ field: ArraySlice<UInt8>, family: Family) -> Bool {
        switch family {
        case .tcp4:
            return field.count <= maxIPv4Length
                && field.allSatisfy { $0 == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        case .tcp6:
            return field.count <= maxIPv6Length
                && field.allSatisfy { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || isHexDigit($0) }
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    /// The address in canonical form (`inet_pton` then `inet_ntop`), or nil if `inet_pton` refuses it.
    private static func canonicalHost(_ field: ArraySlice<UInt8>, family: Family) -> String? {
        let addressFamily = family == .tcp4 ? AF_INET : AF_INET6
        let text = field.map { CChar(bitPattern: $0) } + [0]
        var address = in6_addr()  // large enough for an in_addr too
        var output = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = withUnsafeMutableBytes(of: &address) { address -> Bool in
            guard inet_pton(addressFamily, text, address.baseAddress) == 1 else { return false }
            return inet_ntop(addressFamily, address.baseAddress, &output, socklen_t(output.count)) != nil
        }
        guard written else { return nil }
        return String(decoding: output.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `field` could be the start of a port: digits, no leading zero, at most 65535.
    private static func couldBePort(_ field: ArraySlice<UInt8>) -> Bool {
        guard field.count <= 5, field.count == 1 || field.first != UInt8(ascii: "0") else { return false }
        var value = 0
        for byte in field {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value <= Int(UInt16.max)
    }

    private static func port(_ field: ArraySlice<UInt8>) -> UInt16? {
        guard !field.isEmpty, couldBePort(field) else { return nil }
        return field.reduce(0) { $0 * 10 + UInt16($1 - UInt8(ascii: "0")) }
    }
}
