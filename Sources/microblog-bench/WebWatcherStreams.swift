import Foundation
import MicroblogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The client side of the web door's live stream for the watchers: each watcher is one HTTP/1.1
/// connection that sends `GET /events` as a browser's EventSource does and then reads the
/// `text/event-stream` answer for as long as the run lasts. Its response head and chunk framing are taken
/// off (`HTTPStreamDecoder`, in place in the read buffer), so what the watchers scan is the stream's own
/// lines: `retry: 3000` once the stream is open (the sign that the watcher now gets every post), then per
/// post `id: ID`, `event: post` and `data: <article …>`, whose text holds the post's `t=SEND_TIME`.
/// Confined to the thread that owns its `Watchers`.
final class WebWatcherStreams {
    /// By descriptor (descriptors are small numbers).
    private var decoders: [HTTPStreamDecoder?] = []

    /// What one read gave.
    enum Read: Equatable {
        /// Bytes of the stream's body, at the start of the buffer.
        case bytes(Int)
        /// Nothing of the body yet (the head, or only chunk framing, or nothing on the socket).
        case nothing
        /// The server closed the connection, ended the stream, or did not answer `200`.
        case closed(String)
    }

    /// The request a watcher sends: the home listing's stream, with the fields EventSource sends.
    static func request(host: String, port: UInt16) -> [UInt8] {
        Array(
            ("GET /events HTTP/1.1\r\nHost: \(host):\(port)\r\nAccept: text/event-stream\r\n"
                + "Cache-Control: no-cache\r\n\r\n").utf8)
    }

    /// Whether `line` of a stream's body says it is open: its first event, `retry: MILLISECONDS`, is
    /// written when the door registers the stream, before any post can be missed.
    static func isOpen(_ line: String) -> Bool { line.hasPrefix("retry:") }

    /// Starts reading a response on `fd`, whose request has been sent.
    func attach(fd: Int32) {
        while decoders.count <= Int(fd) { decoders.append(nil) }
        decoders[Int(fd)] = HTTPStreamDecoder()
    }

    /// Reads from `fd` (non-blocking) into `buffer` and leaves there only the body's bytes.
    func read(fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Read {
        guard Int(fd) < decoders.count, decoders[Int(fd)] != nil else { return .closed("no stream") }
        let count = recv(fd, buffer.baseAddress, buffer.count, 0)
        if count == 0 { return .closed("closed by the server") }
        if count < 0 {
            return errno == EAGAIN || errno == EWOULDBLOCK ? .nothing : .closed(String(cString: strerror(errno)))
        }
        let body: Int
        do {
            body = try decoders[Int(fd)]?.decode(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])) ?? 0
        } catch {
            return .closed("\(error)")
        }
        if body > 0 { return .bytes(body) }
        // A keep-alive connection stays open after its response: the stream's end is its end.
        return decoders[Int(fd)]?.hasEnded == true ? .closed("the server ended the stream") : .nothing
    }

    /// Forgets `fd`'s response (the connection is closed).
    func detach(fd: Int32) {
        if Int(fd) < decoders.count { decoders[Int(fd)] = nil }
    }
}
