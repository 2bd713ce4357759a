import MicroblogTestSupport
import Testing

/// The benchmark's web watchers read the live stream through `HTTPStreamDecoder`: the body must come out
/// exactly as the server wrote it, however the reads split the head and the chunks.
@Suite struct HTTPStreamDecoderTests {
    private static let head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"
    private static let body =
        "retry: 3000\n\nid: 1\nevent: post\ndata: <article><p class=\"text\">t=123 n=0</p></article>\n\n"

    /// `text` as chunks of `sizes` bytes (the rest in one more), each with its size line.
    private static func chunked(_ text: String, sizes: [Int]) -> String {
        var rest = Substring(text)
        var out = ""
        for size in sizes + [rest.utf8.count] where !rest.isEmpty {
            let piece = String(rest.utf8.prefix(size))!
            rest = rest.dropFirst(piece.count)
            out += String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n"
        }
        return out
    }

    /// Decodes `bytes` fed in reads of `step` bytes; the body and the decoder after it.
    private static func decode(_ bytes: [UInt8], step: Int) throws -> ([UInt8], HTTPStreamDecoder) {
        var decoder = HTTPStreamDecoder()
        var body: [UInt8] = []
        var start = 0
        while start < bytes.count {
            var read = Array(bytes[start..<min(bytes.count, start + step)])
            let count = try read.withUnsafeMutableBytes { try decoder.decode($0) }
            body += read[0..<count]
            start += step
        }
        return (body, decoder)
    }

    @Test func aChunkedStreamComesOutWholeHoweverItIsRead() throws {
        let response = Array((Self.head + Self.chunked(Self.body, sizes: [13, 1, 40])).utf8)
        for step in [1, 2, 3, 7, 64, response.count] {
            let (body, decoder) = try Self.decode(response, step: step)
            #expect(String(decoding: body, as: UTF8.self) == Self.body, "reads of \(step) bytes")
            #expect(decoder.status == 200 && decoder.isChunked && !decoder.hasEnded)
        }
    }

    @Test func chunkExtensionsAndUpperCaseSizesAreRead() throws {
        let response = Array((Self.head + "5;name=value\r\nretry\r\nA\r\n: 3000\n\nab\r\n").utf8)
        let (body, _) = try Self.decode(response, step: 5)
        #expect(String(decoding: body, as: UTF8.self) == "retry: 3000\n\nab")
    }

    @Test func theLastChunkEndsTheStream() throws {
        let response = Array((Self.head + "3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n").utf8)
        let (body, decoder) = try Self.decode(response, step: 4)
        #expect(String(decoding: body, as: UTF8.self) == "abc")
        #expect(decoder.hasEnded)
    }

    @Test func aBodyWithoutChunksIsPassedOnAsItIs() throws {
        let response = Array(("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + Self.body).utf8)
        let (body, decoder) = try Self.decode(response, step: 9)
        #expect(String(decoding: body, as: UTF8.self) == Self.body)
        #expect(!decoder.isChunked)
    }

    @Test func anAnswerOtherThan200IsAFailure() {
        let response = Array("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".utf8)
        #expect(throws: HTTPStreamDecoder.Failure.status("HTTP/1.1 404 Not Found")) {
            try Self.decode(response, step: 100)
        }
    }

    @Test func aMalformedChunkIsAFailure() {
        for framing in ["xyz\r\nabc\r\n", "3\r\nabcd\r\n", "\r\nabc\r\n"] {
            let response = Array((Self.head + framing).utf8)
            #expect(throws: HTTPStreamDecoder.Failure.badChunk, "\(framing)") { try Self.decode(response, step: 3) }
        }
    }

    @Test func aHeadWithoutAnEndIsAFailure() {
        let response = Array(("HTTP/1.1 200 OK\r\n" + String(repeating: "X: y\r\n", count: 4000)).utf8)
        #expect(throws: HTTPStreamDecoder.Failure.headTooLong) { try Self.decode(response, step: 4096) }
    }
}
