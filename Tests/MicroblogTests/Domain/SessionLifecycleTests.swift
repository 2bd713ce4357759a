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

@Suite("Session lifecycle")
struct SessionLifecycleTests {
    private func makeSession() -> (Session, AbandonedReplyTests.RecordingOutput) {
        let output = AbandonedReplyTests.RecordingOutput()
        let session = Session(
            id: 1, peer: "127.0.0.1:1", peerHost: "127.0.0.1", output: output, settings: MicroblogSettings(), now: 0)
        return (session, output)
    }

    /// The SSH door (work in progress): its byte stream never carries telnet, the other doors' may.
    @Test func onlyTheSSHDoorTurnsTelnetOff() {
        for door in [Door.plain, .tls, .ssh] {
            let session = Session(
                id: 1, peer: "127.0.0.1:1", peerHost: "127.0.0.1", door: door,
                output: AbandonedReplyTests.RecordingOutput(), settings: MicroblogSettings(), now: 0)
            #expect(session.terminal.configuration.telnet == (door != .ssh), "door \(door)")
        }
    }

    @Test func aSessionStartsGreetingAndWaits() {
        let (session, _) = makeSession()
        #expect(session.lifecycle == .greeting)
        #expect(!session.isIdle)
        session.lifecycle = .ready
        #expect(session.isIdle)
        session.lifecycle = .running(command: "feed")
        #expect(!session.isIdle && session.lifecycle.commandInFlight == "feed")
        session.lifecycle = .running(command: nil)  // a rate-limit pause answers nobody
        #expect(session.lifecycle.commandInFlight == nil)
    }

    /// After `/quit` a late reply is still written, but no live post; after the shutdown goodbye nothing.
    @Test func leavingStopsLivePostsAndTheGoodbyeStopsEverything() {
        let (session, output) = makeSession()
        session.lifecycle = .ready
        session.startLeaving()
        #expect(session.lifecycle == .quitting)
        let event = EncodedEvent(.notice("live"), at: .now())
        #expect(session.receiveLive(event) == .skipped)
        session.send(.notice("late reply"))
        #expect(String(decoding: output.written, as: UTF8.self).contains("late reply"))

        session.lifecycle = .saidGoodbye
        session.startLeaving()
        #expect(session.lifecycle == .saidGoodbye, "a ban after the goodbye must not make the session write again")
        let before = output.written.count
        session.send(.notice("after goodbye"))
        session.sendRaw(Array("raw".utf8))
        #expect(output.written.count == before)

        session.lifecycle = .closed
        session.startLeaving()
        #expect(session.lifecycle == .closed && session.closed)
    }
}
