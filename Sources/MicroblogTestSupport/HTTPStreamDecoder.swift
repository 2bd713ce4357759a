#if canImport(Glibc)
    import Glibc
#endif

/// The client's side of one HTTP/1.1 response whose body is a stream (a Server-Sent Events stream): the
/// head is checked and dropped, and a chunked body is unframed, so what is left is the body as the server
/// wrote it. Works in place on each read's bytes, which the body never outgrows, so reading thousands of
/// streams allocates nothing but the few bytes of a head split between reads. A value, one per
/// connection; it sees only the bytes it is given.
public struct HTTPStreamDecoder: Sendable {
    /// Why a response cannot be read as a stream.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Not `200`: the status line.
        case status(String)
        /// No end of the head within `maxHeadBytes`.
        case headTooLong
        /// A chunk-size line that is not hexadecimal, or too large, or a chunk not ended by CR LF.
        case badChunk

        public var description: String {
            switch self {
            case .status(let line): "answered \"\(line)\", not 200"
            case .headTooLong: "no end of the response head in \(HTTPStreamDecoder.maxHeadBytes) bytes"
            case .badChunk: "a malformed chunk in the chunked body"
            }
        }
    }

    /// The longest head read (libmicrohttpd's own limit for a request head is 16 KiB too).
    public static let maxHeadBytes = 16_384
    /// The most hexadecimal digits of a chunk size taken (2^60 bytes; no stream comes near).
    static let maxSizeDigits = 15

    private enum State: Equatable {
        /// Before the end of the head; the bytes so far are in `head`.
        case head
        /// The chunk-size line: its digits so far, and whether an extension (`;...`) has begun.
        case chunkSize(digits: Int, inExtension: Bool)
        /// Inside a chunk: bytes of it left.
        case chunkData(remaining: Int)
        /// After a chunk's data: its CR LF.
        case chunkEnd
        /// After the last (empty) chunk: trailer lines, then nothing.
        case trailers(lineLength: Int)
        /// A body without chunks: everything up to the close.
        case identity
        case ended
    }

    private var state = State.head
    private var head: [UInt8] = []
    private var chunkSize = 0
    /// The status code, once the head is in.
    public private(set) var status: Int?
    /// Whether the body is chunked (`Transfer-Encoding: chunked`), once the head is in.
    public private(set) var isChunked = false

    public init() {}

    /// Whether the body has ended (its last chunk and trailers are in).
    public var hasEnded: Bool { state == .ended }

    /// Decodes the response's next bytes in place: afterwards the first `N` bytes of `bytes`, N returned,
    /// are the body's next bytes (none while the head or a chunk's framing is read).
    public mutating func decode(_ bytes: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var read = 0
        var written = 0
        while read < bytes.count {
            switch state {
            case .head:
                read += try takeHead(UnsafeRawBufferPointer(rebasing: bytes[read...]))
            case .chunkSize(let digits, let inExtension):
                let byte = bytes[read]
                read += 1
                if byte == 10 {
                    guard digits > 0 else { throw .badChunk }
                    state = chunkSize == 0 ? .trailers(lineLength: 0) : .chunkData(remaining: chunkSize)
                } else if byte == 13 || inExtension || byte == 32 || byte == 9 {
                    continue
                } else if byte == UInt8(ascii: ";") {
                    state = .chunkSize(digits: digits, inExtension: true)
                } else if let value = Self.hexValue(byte), digits < Self.maxSizeDigits {
                    chunkSize = chunkSize * 16 + value
                    state = .chunkSize(digits: digits + 1, inExtension: false)
                } else {
                    throw .badChunk
                }
            case .chunkData(let remaining):
                let count = min(remaining, bytes.count - read)
                if written != read { memmove(base + written, base + read, count) }
                written += count
                read += count
                state = count == remaining ? .chunkEnd : .chunkData(remaining: remaining - count)
            case .chunkEnd:
                let byte = bytes[read]
                read += 1
                if byte == 10 {
                    chunkSize = 0
                    state = .chunkSize(digits: 0, inExtension: false)
                } else if byte != 13 {
                    throw .badChunk
                }
            case .trailers(let lineLength):
                let byte = bytes[read]
                read += 1
                if byte == 10 {
                    state = lineLength == 0 ? .ended : .trailers(lineLength: 0)
                } else if byte != 13 {
                    state = .trailers(lineLength: lineLength + 1)
                }
            case .identity:
                let count = bytes.count - read
                if written != read { memmove(base + written, base + read, count) }
                written += count
                read += count
            case .ended:
                read = bytes.count
            }
        }
        return written
    }

    /// Takes head bytes from the front of `bytes` until its empty line (CR LF CR LF); returns how many it
    /// took. At the end of the head, reads the status and whether the body is chunked.
    private mutating func takeHead(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Int {
        var taken = 0
        while taken < bytes.count {
            head.append(bytes[taken])
            taken += 1
            if head.count >= 4 && head[head.count - 4..<head.count].elementsEqual([13, 10, 13, 10]) { break }
        }
        guard head.count >= 4, head[head.count - 4..<head.count].elementsEqual([13, 10, 13, 10]) else {
            if head.count > Self.maxHeadBytes { throw .headTooLong }
            return taken
        }
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n").map(String.init)
        head = []
        let statusLine = lines.first ?? ""
        let fields = statusLine.split(separator: " ", maxSplits: 2)
        status = fields.count >= 2 ? Int(fields[1]) : nil
        guard status == 200 else { throw .status(statusLine) }
        isChunked = lines.dropFirst().contains { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "transfer-encoding"
                && parts[1].lowercased().contains("chunked")
        }
        state = isChunked ? .chunkSize(digits: 0, inExtension: false) : .identity
        return taken
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 48...57: Int(byte - 48)
        case 65...70: Int(byte - 55)
        case 97...102: Int(byte - 87)
        default: nil
        }
    }
}
