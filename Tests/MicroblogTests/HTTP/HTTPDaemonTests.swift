import Dispatch
import Foundation
import MicroblogHTTP
import MicroblogSupport
import MicroblogTestSupport
import MicroblogTransport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A response as a test client read it.
struct ReadResponse {
    var status: Int
    var headers: [String: String]
    var body: String
}

extension BlockingClient {
    /// Sends `text` as is (an HTTP request, CR LF written out).
    func sendRaw(_ text: String) { _ = sendBytes(Array(text.utf8)) }

    /// Reads one response with a Content-Length (or none, for HEAD and 304).
    func readResponse(head: Bool = false, timeout: Double = 10) throws -> ReadResponse {
        let status = try readLine(timeout: timeout)
        let code = Int(status.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        while true {
            let line = try readLine(timeout: timeout)
            if line.isEmpty { break }
            let parts = line.split(separator: ":", maxSplits: 1)
            headers[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        }
        let length = head || code == 304 ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        let body = try readBytes(count: length, timeout: timeout)
        return ReadResponse(status: code, headers: headers, body: String(decoding: body, as: UTF8.self))
    }
}

/// A daemon on an ephemeral loopback port, its own listener accepting and handing sockets over, as a door
/// does. Tests talk to it over real sockets.
final class DaemonHarness: @unchecked Sendable {
    let queue = DispatchQueue(label: "http-test")
    let port: UInt16
    private(set) var daemon: HTTPDaemon!
    private var listener: Listener!
    /// Connections closed, as the daemon reported them (read on `queue`).
    private let closedCount = ClosedCounter()

    init(limits: HTTPLimits = HTTPLimits(), handler: HTTPHandler) throws {
        var port: UInt16 = 0
        let queue = queue
        let closedCount = closedCount
        var made: (Listener, HTTPDaemon)?
        try queue.sync {
            let listener = try Listener(host: "127.0.0.1", port: 0, queue: queue)
            let daemon = try HTTPDaemon(queue: queue, limits: limits, handler: handler)
            listener.onAccept = { accepted in
                daemon.adopt(fd: accepted.fd, peerHost: accepted.peerHost) { closedCount.add() }
            }
            listener.start()
            port = UInt16(listener.boundAddress.split(separator: ":").last!)!
            made = (listener, daemon)
        }
        self.port = port
        listener = made!.0
        daemon = made!.1
    }

    var closed: Int { closedCount.value }
    var open: Int { queue.sync { daemon.connectionCount } }

    func client() throws -> BlockingClient { try BlockingClient(port: port) }

    deinit {
        queue.sync {
            listener.stop()
            daemon.shutdown()
        }
    }
}

/// Answers from a table of paths; `/later` answers after a while, `/form` echoes the form, `/taken` hands
/// its stream over.
final class TableHandler: HTTPHandler, @unchecked Sendable {
    var seen: [HTTPRequest] = []
    let queue: DispatchQueue

    init(queue: DispatchQueue) { self.queue = queue }

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        seen.append(request)
        switch request.path {
        case "/":
            responder.respond(
                HTTPResponse(
                    status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array("hello\n".utf8)))
        case "/later":
            queue.asyncAfterConfined(.milliseconds(50)) {
                responder.respond(HTTPResponse(status: 200, body: Array("later\n".utf8)))
            }
        case "/form":
            let fields = request.form.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            responder.respond(HTTPResponse(status: 200, body: Array(fields.utf8)))
        case "/never":
            break  // answered by nobody: the shutdown must still stop
        case "/query":
            responder.respond(HTTPResponse(status: 200, body: Array((request.query["q"] ?? "-").utf8)))
        case "/taken-long":
            // First bytes longer than the response's block (`streamBlockBytes`): read through it in turns.
            let long = "data: " + String(repeating: "x", count: 5000) + "\n\n"
            responder.respond(
                .handOver(status: 200, headers: [], first: Array(long.utf8)) { fd, closed in
                    Glibc.close(fd)
                    closed()
                })
        case "/taken":
            // libmicrohttpd sends the head and the first line, then the handler writes on the socket itself.
            responder.respond(
                .handOver(
                    status: 200, headers: [("Content-Type", "text/event-stream")], first: Array("retry: 1\n\n".utf8)
                ) { fd, closed in
                    let line = Array("data: from the taker\n\n".utf8)
                    _ = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                    Glibc.close(fd)
                    closed()
                })
        default:
            responder.respond(HTTPResponse(status: 404, body: Array("no\n".utf8)))
        }
    }
}

@Suite("HTTP: libmicrohttpd on a Dispatch queue")
struct HTTPDaemonTests {
    private func harness(_ limits: HTTPLimits = HTTPLimits()) throws -> (DaemonHarness, TableHandler) {
        // The handler schedules work on the harness's queue: made in two steps.
        let holder = HandlerHolder()
        let made = try DaemonHarness(limits: limits, handler: holder)
        let handler = TableHandler(queue: made.queue)
        holder.inner = handler
        return (made, handler)
    }

    @Test func answersAndKeepsTheConnectionAlive() throws {
        let (server, _) = try harness()
        let client = try server.client()
        client.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = try client.readResponse()
        #expect(first.status == 200 && first.body == "hello\n")
        #expect(first.headers["connection"] == nil, "\(first.headers)")
        client.sendRaw("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 404)
        client.sendRaw("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try client.readResponse(head: true)
        #expect(head.status == 200 && head.headers["content-length"] == "6")
    }

    @Test func aLaterAnswerArrives() throws {
        let (server, _) = try harness()
        let client = try server.client()
        client.sendRaw("GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().body == "later\n")
        #expect(try client.readResponse().body == "hello\n")  // pipelined, in order
    }

    @Test func formsAndQueriesAreDecoded() throws {
        let (server, _) = try harness()
        let client = try server.client()
        let body = "name=al%20ice&text=a+%3Cb%3E"
        client.sendRaw(
            "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(try client.readResponse().body == "name=al ice&text=a <b>")
        client.sendRaw("GET /query?q=%23swift HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().body == "#swift")
    }

    @Test func oversizedAndMalformedRequestsGetTheirStatus() throws {
        let (server, _) = try harness()
        let long = try server.client()
        long.sendRaw("GET /" + String(repeating: "a", count: 20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try long.readResponse().status == 414)
        let fat = try server.client()
        fat.sendRaw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 20_000) + "\r\n\r\n")
        let fatStatus = try fat.readResponse().status
        #expect(fatStatus == 431, "\(fatStatus)")
        let bad = try server.client()
        bad.sendRaw("GET / HTTP/1.1\r\nno colon here\r\n\r\n")
        #expect(try bad.readResponse().status == 400)
        let big = try server.client()
        let body = String(repeating: "x=1&", count: 10_000)
        big.sendRaw(
            "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(try big.readResponse().status == 413)
    }

    /// libmicrohttpd aborts the process if it is stopped with a connection suspended: a request waiting
    /// for its answer is resumed first and answered `503`.
    @Test func theShutdownAnswersWaitingRequests() throws {
        var (server, handler): (DaemonHarness?, TableHandler) = try harness()
        let waiting = try server!.client()
        waiting.sendRaw("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(waitUntil { server!.queue.sync { handler.seen.count == 1 } })
        server = nil  // shuts the daemon down
        #expect(try waiting.readResponse().status == 503)
    }

    /// A stream handed over: libmicrohttpd sends the head and the first bytes as a body that ends at the close
    /// (no chunks), lets go of the socket without ending it, and the taker writes on and closes it.
    @Test func aStreamHandedOverIsWrittenByItsTaker() throws {
        let (server, _) = try harness()
        let client = try server.client()
        client.sendRaw("GET /taken HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readLine() == "HTTP/1.1 200 OK")
        let head = try client.readUntil { $0.isEmpty }
        #expect(head.contains("Connection: close") && !head.contains { $0.lowercased().hasPrefix("transfer-encoding") })
        #expect(!head.contains { $0.lowercased().hasPrefix("content-length") }, "\(head)")
        let body = try client.readUntilClosed()
        #expect(body == ["retry: 1", "data: from the taker"], "\(body)")  // readUntilClosed leaves out blank lines
        #expect(waitUntil(timeout: 10) { server.closed == 1 && server.open == 0 })
    }

    @Test func aSlowRequestHeadIsCutOff() throws {
        var limits = HTTPLimits()
        limits.requestHeadTimeout = 2
        let (server, _) = try harness(limits)
        let slow = try server.client()
        slow.sendRaw("GET / HTTP/1.1\r\n")
        _ = try slow.readBytesUntilClosed(timeout: 10)
        // A kept-alive connection has the same time for its next request.
        let kept = try server.client()
        kept.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try kept.readResponse().status == 200)
        _ = try kept.readBytesUntilClosed(timeout: 10)
        #expect(waitUntil(timeout: 10) { server.closed == 2 && server.open == 0 })
    }

    /// A handed-over stream's first bytes are read through the response's own block, a small one
    /// (`streamBlockBytes`): longer than it, they go out in several reads, whole.
    @Test func firstBytesLongerThanTheBlockArriveWhole() throws {
        let (server, _) = try harness()
        let client = try server.client()
        client.sendRaw("GET /taken-long HTTP/1.0\r\nHost: x\r\n\r\n")
        #expect(try client.readLine().hasSuffix(" 200 OK"))
        try client.readUntil { $0.isEmpty }
        #expect(try client.readUntilClosed() == ["data: " + String(repeating: "x", count: 5000)])
    }
}

/// Lets the handler be made after the harness whose queue it uses.
final class HandlerHolder: HTTPHandler, @unchecked Sendable {
    var inner: HTTPHandler?
    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        inner?.handle(request, responder) ?? responder.respond(HTTPResponse(status: 503))
    }
}

/// A count any thread may read. Thread-safe: a mutex.
final class ClosedCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
