import Foundation
import MicroblogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The benchmark's floor and its delivery counting: the bare broadcast loop over real loopback
/// sockets, and the line scanner on a Redis pub/sub stream.
@Suite struct BroadcastLoopTests {
    @Test func aChunkReachesEveryOtherConnectionAndNotItsSender() throws {
        let loop = try BroadcastLoop()
        defer { loop.stop() }
        let clients = try (0..<4).map { index in
            try BlockingClient(port: loop.port, source: "127.0.0.\(1 + index)")
        }
        #expect(waitUntil { loop.connectionCount == clients.count })

        clients[0].send("t=1 n=0")
        for client in clients.dropFirst() { #expect(try client.readLine() == "t=1 n=0") }
        // The loop handles one chunk at a time on its queue, so the reply (sent after the first chunk
        // arrived) reaches the first client after anything the first chunk could have sent it: the
        // first line it reads shows whether its own chunk came back.
        clients[1].send("reply")
        #expect(try clients[0].readLine() == "reply")
        for client in clients.dropFirst(2) { #expect(try client.readLine() == "reply") }
        #expect(loop.droppedBytes == 0)
    }

    @Test func aClosedConnectionLeavesTheLoop() throws {
        let loop = try BroadcastLoop()
        defer { loop.stop() }
        let first = try BlockingClient(port: loop.port)
        let second = try BlockingClient(port: loop.port)
        #expect(waitUntil { loop.connectionCount == 2 })
        second.close()
        #expect(waitUntil { loop.connectionCount == 1 })
        let third = try BlockingClient(port: loop.port)
        #expect(waitUntil { loop.connectionCount == 2 })
        first.send("together")
        #expect(try third.readLine() == "together")
    }

    /// What a Redis subscriber reads: the subscription's reply, then per message a RESP array of three
    /// bulk strings, the last of them the posted line.
    @Test func aRedisMessageCountsAsOneDelivery() {
        let stream =
            "*3\r\n$9\r\nsubscribe\r\n$4\r\nfeed\r\n:1\r\n"
            + "*3\r\n$7\r\nmessage\r\n$4\r\nfeed\r\n$15\r\nt=123456789 n=0\r\n"
            + "*3\r\n$7\r\nmessage\r\n$4\r\nfeed\r\n$15\r\nt=123456790 n=1\r\n"
            + "*3\r\n$7\r\nmessage\r\n$4\r\nfeed\r\n$15\r\nt=1234"
        let bytes = Array(stream.utf8)
        var times: [Int] = []
        var lines = 0
        let rest = bytes.withUnsafeBytes { raw in
            DeliveryLines.scan(raw) { _, sent in
                lines += 1
                if let sent { times.append(sent) }
            }
        }
        #expect(times == [123_456_789, 123_456_790])
        #expect(lines == 6 + 7 + 7 + 6)
        // The unfinished payload is left for the next read, not counted.
        #expect(Array(bytes[rest...]) == Array("t=1234".utf8))
    }

    @Test func framingAndMicroblogdLinesCarryNoSendTimeUnlessPosted() {
        func time(_ line: String) -> Int? {
            Array(line.utf8).withUnsafeBytes { DeliveryLines.sendTime(in: $0) }
        }
        for framing in ["*3\r", "$7\r", "message\r", "$4\r", "feed\r", "$15\r", ":1\r", "subscribe\r", "t=\r"] {
            #expect(time(framing) == nil)
        }
        #expect(time("t=42 n=7\r") == 42)
        #expect(time("#12 alice 10:00 t=99 n=0") == 99)
    }
}
