@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// The output buffer: bytes leave in the order written, whatever the socket takes at a time, and the
/// arrays written into it (shared with other receivers) are never changed by it.
@Suite struct OutputBufferTests {
    /// Drains `buffer` taking at most `step` bytes per call, returning what was taken.
    private func drain(_ buffer: inout OutputBuffer, step: Int) -> [UInt8] {
        var taken: [UInt8] = []
        while !buffer.isEmpty {
            _ = buffer.drain { bytes in
                let count = min(step, bytes.count)
                taken += bytes.prefix(count)
                return count
            }
        }
        return taken
    }

    @Test func bytesLeaveInOrderHoweverTheSocketTakesThem() {
        for step in [1, 3, 7, 1000] {
            var buffer = OutputBuffer()
            let first = Array("first line\n".utf8)
            let second = Array("second\n".utf8)
            buffer.append(first)
            buffer.append([])
            #expect(buffer.count == first.count)
            // Part of the first goes out, then more is written behind it.
            _ = buffer.drain { min(step, $0.count) }
            buffer.append(second)
            buffer.append(first)
            let rest = drain(&buffer, step: step)
            #expect(rest == Array((first + second + first).dropFirst(min(step, first.count))), "step \(step)")
            #expect(buffer.isEmpty && buffer.count == 0)
        }
    }

    @Test func aSharedArrayIsNeverChangedByTheBuffer() {
        let shared = Array("a live post, shared by every receiver\n".utf8)
        let copy = shared
        var one = OutputBuffer()
        var two = OutputBuffer()
        one.append(shared)
        two.append(shared)
        _ = one.drain { _ in 5 }
        one.append(Array("more\n".utf8))
        two.append(Array("other\n".utf8))
        #expect(shared == copy)
        #expect(drain(&one, step: 100) == Array(shared.dropFirst(5)) + Array("more\n".utf8))
        #expect(drain(&two, step: 100) == shared + Array("other\n".utf8))
    }

    @Test func aFullSocketTakesNothingAndKeepsEverything() {
        var buffer = OutputBuffer()
        buffer.append(Array("waiting\n".utf8))
        #expect(buffer.drain { _ in 0 } == 0)
        #expect(buffer.count == 8)
        #expect(drain(&buffer, step: 2) == Array("waiting\n".utf8))
    }
}
