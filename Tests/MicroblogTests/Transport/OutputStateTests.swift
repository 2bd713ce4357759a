import Testing

@testable import MicroblogModel
@testable import MicroblogSupport
@testable import MicroblogTransport

/// The output state both streams keep (`Connection`, `SSHChannel`): what is due once drained, and the
/// stall clock the slow-reader check reads, without a socket.
@Suite struct OutputStateTests {
    @Test func aDrainIsReportedOncePerRequest() {
        var state = OutputState()
        #expect(state.takeDrainAction() == nil, "nothing was asked for")
        state.requestDrainNotification()
        #expect(state.takeDrainAction() == .reportDrained)
        #expect(state.takeDrainAction() == nil, "reported once")
    }

    @Test func closingWhenDrainedWinsOverAReportWithTheLatestReason() {
        var state = OutputState()
        state.requestDrainNotification()
        state.closeWhenDrained(reason: .quit)
        state.closeWhenDrained(reason: .error)
        #expect(state.pendingClose == .error)
        #expect(state.takeDrainAction() == .close(.error))
        #expect(state.takeDrainAction() == .close(.error), "the close stays due until the stream closes")
    }

    @Test func theStallClockRestartsOnlyWhenBytesMove() throws {
        var state = OutputState()
        state.queue(Array("pending".utf8))
        #expect(state.pendingBytes == 7 && state.stalledSince == nil)
        let before = MonotonicClock.now()
        state.noteStalled(progressed: false)
        let started = try #require(state.stalledSince)
        #expect(started >= before)
        // A full socket that took nothing does not restart the clock, so a reader that never reads is
        // found out.
        state.noteStalled(progressed: false)
        #expect(state.stalledSince == started)
        while MonotonicClock.now() == started {}
        state.noteStalled(progressed: true)
        #expect(try #require(state.stalledSince) > started)
        state.noteDrained()
        #expect(state.stalledSince == nil)
    }
}
