import Testing

@testable import MicroblogDomain

/// The small values a `Session` keeps its state in, without a session.
@Suite struct SessionStateTests {
    private func line(_ input: Session.Input?) -> String? {
        guard case .line(let bytes) = input else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func linesLeaveTheQueueInTheOrderRead() {
        var queue = InputQueue()
        queue.append(.line(Array("/who".utf8)))
        queue.append(.lineTooLong)
        queue.append(.line(Array("hello".utf8)))
        #expect(queue.count == 3)
        #expect(line(queue.peek()) == "/who" && queue.count == 3, "peeking takes nothing")
        #expect(line(queue.next()) == "/who")
        guard case .lineTooLong = queue.next() else {
            Issue.record("the second input is the line too long")
            return
        }
        #expect(line(queue.next()) == "hello")
        #expect(queue.next() == nil && queue.count == 0)
        // Emptied, it takes new lines from the start again.
        queue.append(.line(Array("again".utf8)))
        #expect(queue.count == 1 && line(queue.peek()) == "again")
    }

    @Test func theNewestPostShownNeverGoesBack() {
        var live = LiveDelivery()
        live.noteShown(7)
        live.noteShown(3)
        #expect(live.lastSeenID == 7)
        live.noteShown(9)
        #expect(live.lastSeenID == 9)
    }
}
