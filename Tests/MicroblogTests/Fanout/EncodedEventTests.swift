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

/// Records what a session writes. Used on one thread.
private final class Sink: SessionOutput {
    var written: [[UInt8]] = []
    func write(_ bytes: [UInt8]) { written.append(bytes) }
    func pauseReading() {}
    func resumeReading() {}
    func closeAfterFlush(reason: CloseReason) {}
    func close(reason: CloseReason) {}
    var pendingOutputBytes: Int { 0 }
    var stalledSince: Double? { nil }
    func notifyWhenDrained() {}
}

@Suite("EncodedEvent: rendered once per mode, wrapped once per window width")
struct EncodedEventTests {
    private let text = String(repeating: "word ", count: 30)

    private func post() -> EncodedEvent {
        let post = Post(id: 9, authorID: 7, author: "al", text: text, createdAt: Timestamp(milliseconds: 0))
        return EncodedEvent(.post(post, live: true), at: Timestamp(milliseconds: 0))
    }

    /// A session in character mode (as an SSH channel's PTY would start it) with a window `width` wide.
    private func session(id: Int, width: Int?, color: Bool = false) -> (Session, Sink) {
        let sink = Sink()
        let session = Session(
            id: id, peer: "test", peerHost: "test", output: sink, settings: MicroblogSettings(), now: 0)
        session.terminal.setWindowSize(columns: width)
        _ = session.terminal.enterCharacterMode()
        session.color = color
        return (session, sink)
    }

    /// The bytes of the event itself, without the input line's clear and redraw around them.
    private func body(_ written: [UInt8]) -> [UInt8] {
        let redraw = Array("\r> \u{1B}[K".utf8)
        #expect(written.starts(with: LineEditor.clearLine) && written.suffix(redraw.count).elementsEqual(redraw))
        return Array(written.dropFirst(LineEditor.clearLine.count).dropLast(redraw.count))
    }

    @Test func receiversOfOneWidthShareOneWrapping() {
        let event = post()
        let (first, firstSink) = session(id: 1, width: 40)
        let (second, secondSink) = session(id: 2, width: 40)
        let (narrow, narrowSink) = session(id: 3, width: 30)
        let (unsized, unsizedSink) = session(id: 4, width: nil)
        for receiver in [first, second, narrow, unsized] { #expect(receiver.receiveLive(event) == .delivered) }

        #expect(event.wrappedWidths.text == [30, 40])
        let shared = event.bytes(for: .text, width: 40)
        // One array for both: the same storage, not just equal bytes.
        #expect(
            shared.withUnsafeBufferPointer { $0.baseAddress }
                == event.bytes(for: .text, width: 40).withUnsafeBufferPointer { $0.baseAddress })
        #expect(body(firstSink.written[0]) == shared)
        #expect(body(secondSink.written[0]) == shared)
        #expect(String(decoding: shared, as: UTF8.self).split(separator: "\r\n").allSatisfy { $0.count <= 40 })
        #expect(body(narrowSink.written[0]) == event.bytes(for: .text, width: 30))
        // A window that never said its width gets 80 columns, kept apart from the other widths.
        #expect(body(unsizedSink.written[0]) == event.bytes(for: .text, width: 80))
        let fitted = String(decoding: event.bytes(for: .text), as: UTF8.self).split(separator: "\r\n")
        #expect(fitted.count > 1 && fitted.allSatisfy { $0.count <= 80 })
        // The wrapping is the one the same message sent to one session gets.
        #expect(shared == Renderer.render(event.message, mode: .text, now: Timestamp(milliseconds: 0), width: 40))
    }

    @Test func colouredReceiversHaveTheirOwnCacheAndShortEventsAreStoredOnce() {
        let event = post()
        let (first, firstSink) = session(id: 1, width: 50, color: true)
        let (second, secondSink) = session(id: 2, width: 50, color: true)
        first.receiveLive(event)
        second.receiveLive(event)
        #expect(event.wrappedWidths.colored == [50])
        #expect(event.wrappedWidths.text.isEmpty)
        #expect(body(firstSink.written[0]) == body(secondSink.written[0]))
        #expect(body(firstSink.written[0]) != event.bytes(for: .text, width: 50))

        let short = EncodedEvent(.notice("short"), at: Timestamp(milliseconds: 0))
        let plain = short.bytes(for: .text)
        let wrapped = short.bytes(for: .text, width: 40)
        #expect(wrapped == plain)
        #expect(wrapped.withUnsafeBufferPointer { $0.baseAddress } == plain.withUnsafeBufferPointer { $0.baseAddress })
    }
}
