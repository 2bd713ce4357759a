import MicroblogModel
import MicroblogSupport

/// What the decoder finds in the input stream.
public enum InputEvent: Equatable, Sendable {
    /// A complete line without its terminator. Its bytes are not yet checked for UTF-8.
    case line([UInt8])
    /// The current line grew past the limit. Sent once, as soon as the limit is crossed; the rest of
    /// that line, up to its terminator, is discarded.
    case lineTooLong
    /// A telnet command; the caller answers negotiations (see `TelnetNegotiator`).
    case telnet(TelnetCommand)
    /// In character mode: data bytes as they came (keys), for the `LineEditor`.
    case data([UInt8])
    /// EOT (0x04, Ctrl-D) as the first byte of a line: the person pressed Ctrl-D on an empty line, which
    /// a terminal in line mode (a telnet client before character mode, whose terminal reads the key as
    /// the end of its input) sends as this one byte, with no line end after it.
    case endOfTransmission
}

/// Splits a byte stream into lines and removes telnet commands (RFC 854 NVT rules).
///
/// A line ends at LF, CR LF, CR NUL, or a lone CR. A CR ends the line at once, so a client that sends
/// only CR is not kept waiting; an LF or NUL that directly follows a CR (even in the next read) is the
/// second half of the same terminator and is dropped. Other NUL bytes are NVT no-ops and dropped.
/// IAC sequences may be split across reads at any byte. IAC IAC is a data byte 255 (which then fails
/// UTF-8 validation upstream). IAC EC erases the last character of the line so far and IAC EL the
/// whole line, as RFC 854 asks. A line longer than `maxLineBytes` is reported once and discarded.
/// EOT (0x04) as a line's first byte is Ctrl-D on an empty line (`endOfTransmission`), at once, without
/// waiting for a line end; anywhere else in a line it is a byte of the line like any other (which the
/// text rules then refuse), so a line is never cut short by it.
/// Without `telnet` (a stream that never carries it), IAC is a data byte like any other.
///
/// A pure value: no sockets, no queues. Owned by whoever owns the connection.
public struct LineDecoder: Sendable {
    private enum State: Sendable {
        case data
        case iac
        case option(UInt8)
        case subnegotiationOption
        case subnegotiation(option: UInt8)
        case subnegotiationIAC(option: UInt8)
    }

    /// The most bytes a line may hold, not counting its terminator.
    public let maxLineBytes: Int
    /// The most subnegotiation bytes kept; the rest are dropped (we use none of them yet).
    public let maxSubnegotiationBytes: Int
    /// IAC starts a telnet command; false for a stream that never carries telnet.
    public let telnet: Bool

    private var state: State = .data
    private var line: [UInt8] = []
    private var subnegotiation: [UInt8] = []
    private var discarding = false
    private var afterCR = false

    /// True once the peer has ended a line with CR LF or CR NUL, as telnet clients do and netcat does not.
    public private(set) var sawCRLF = false
    /// True once the peer has sent any telnet command.
    public private(set) var sawTelnet = false
    /// Character mode: data bytes are passed on as `.data` (keys for a `LineEditor`) instead of lines;
    /// telnet commands are still removed.
    public var passesData = false
    private var raw: [UInt8] = []

    public init(maxLineBytes: Int = 4096, maxSubnegotiationBytes: Int = 256, telnet: Bool = true) {
        self.maxLineBytes = maxLineBytes
        self.maxSubnegotiationBytes = maxSubnegotiationBytes
        self.telnet = telnet
    }

    /// Bytes of an unfinished line held so far.
    public var pendingByteCount: Int { line.count }

    /// Decodes `bytes` and calls `emit` for each event in stream order.
    public mutating func decode<Bytes: Sequence>(_ bytes: Bytes, emit: (InputEvent) -> Void)
    where Bytes.Element == UInt8 {
        for byte in bytes {
            switch state {
            case .data where passesData && (byte != Telnet.iac || !telnet):
                raw.append(byte)
            case .data:
                if !raw.isEmpty {
                    emit(.data(raw))
                    raw.removeAll()
                }
                decodeData(byte, emit: emit)
            case .iac:
                decodeCommand(byte, emit: emit)
            case .option(let verb):
                state = .data
                sawTelnet = true
                switch verb {
                case Telnet.will: emit(.telnet(.will(byte)))
                case Telnet.wont: emit(.telnet(.wont(byte)))
                case Telnet.do: emit(.telnet(.do(byte)))
                default: emit(.telnet(.dont(byte)))
                }
            case .subnegotiationOption:
                subnegotiation.removeAll(keepingCapacity: false)
                state = .subnegotiation(option: byte)
            case .subnegotiation(let option):
                if byte == Telnet.iac {
                    state = .subnegotiationIAC(option: option)
                } else {
                    appendSubnegotiation(byte)
                }
            case .subnegotiationIAC(let option):
                switch byte {
                case Telnet.se:
                    state = .data
                    sawTelnet = true
                    emit(.telnet(.subnegotiation(option: option, data: subnegotiation)))
                    subnegotiation.removeAll(keepingCapacity: false)
                case Telnet.iac:
                    appendSubnegotiation(byte)
                    state = .subnegotiation(option: option)
                default:
                    // A malformed subnegotiation: drop it and read on as data, so a broken peer cannot
                    // make us swallow the rest of the stream.
                    subnegotiation.removeAll(keepingCapacity: false)
                    state = .data
                }
            }
        }
        if !raw.isEmpty {
            emit(.data(raw))
            raw.removeAll()
        }
        // No line under way: keep no buffer for the next one (an idle session holds nothing).
        if line.isEmpty && line.capacity > 0 { line = [] }
    }

    /// Hands over the unfinished line (for a line editor taking over) and forgets it.
    public mutating func takePendingLine() -> [UInt8] {
        defer { line.removeAll() }
        return discarding ? [] : line
    }

    /// The peer will send nothing more: a line it did not terminate is still a line.
    public mutating func finish(emit: (InputEvent) -> Void) {
        state = .data
        if !line.isEmpty && !discarding { emit(.line(line)) }
        line.removeAll()
        discarding = false
    }

    /// Convenience for tests and simple callers.
    public mutating func decode<Bytes: Sequence>(_ bytes: Bytes) -> [InputEvent] where Bytes.Element == UInt8 {
        var events: [InputEvent] = []
        decode(bytes) { events.append($0) }
        return events
    }

    private mutating func decodeData(_ byte: UInt8, emit: (InputEvent) -> Void) {
        switch byte {
        case Telnet.iac where telnet:
            state = .iac
        case 13:  // CR
            endLine(emit: emit)
            afterCR = true
        case 10:  // LF
            if afterCR {
                afterCR = false
                sawCRLF = true
            } else {
                endLine(emit: emit)
            }
        case 0:  // NUL
            if afterCR { sawCRLF = true }
            afterCR = false
        case Self.endOfTransmission where line.isEmpty && !discarding:
            afterCR = false
            emit(.endOfTransmission)
        default:
            afterCR = false
            append(byte, emit: emit)
        }
    }

    private mutating func decodeCommand(_ byte: UInt8, emit: (InputEvent) -> Void) {
        state = .data
        switch byte {
        case Telnet.iac:
            afterCR = false
            if passesData { raw.append(byte) } else { append(byte, emit: emit) }
        case Telnet.will, Telnet.wont, Telnet.do, Telnet.dont:
            state = .option(byte)
        case Telnet.sb:
            state = .subnegotiationOption
        case Telnet.ec:
            sawTelnet = true
            eraseLastCharacter()
        case Telnet.el:
            sawTelnet = true
            if !discarding { line.removeAll(keepingCapacity: true) }
        default:
            sawTelnet = true
            emit(.telnet(.other(byte)))
        }
    }

    private mutating func append(_ byte: UInt8, emit: (InputEvent) -> Void) {
        if discarding { return }
        if line.count >= maxLineBytes {
            discarding = true
            line.removeAll(keepingCapacity: false)
            emit(.lineTooLong)
            return
        }
        line.append(byte)
    }

    private mutating func appendSubnegotiation(_ byte: UInt8) {
        if subnegotiation.count < maxSubnegotiationBytes { subnegotiation.append(byte) }
    }

    private mutating func endLine(emit: (InputEvent) -> Void) {
        if discarding {
            discarding = false
        } else {
            emit(.line(line))
        }
        line.removeAll(keepingCapacity: line.count <= 256)
    }

    /// EOT, which a terminal's Ctrl-D sends.
    public static let endOfTransmission: UInt8 = 0x04

    /// Removes one UTF-8 encoded scalar (its continuation bytes and its lead byte) from the line.
    private mutating func eraseLastCharacter() {
        if discarding { return }
        while let last = line.popLast() {
            if last & 0b1100_0000 != 0b1000_0000 { break }
        }
    }
}
