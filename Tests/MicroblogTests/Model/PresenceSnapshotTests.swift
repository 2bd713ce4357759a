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

@Suite("PresenceSnapshot: who is online on a node, as stored text")
struct PresenceSnapshotTests {
    static let users = [
        PresenceSnapshot.Entry(userID: 7, name: "alice", sessions: 2, away: nil),
        PresenceSnapshot.Entry(userID: 42, name: "bob_1", sessions: 1, away: "out for lunch, back at 2"),
    ]

    @Test func oneLinePerAccountWithTheAwayMessageLast() {
        let snapshot = PresenceSnapshot(guests: 3, users: Self.users)
        #expect(snapshot.encoded == "7 2 alice\n42 1 bob_1 out for lunch, back at 2")
    }

    @Test func theEncodingRoundTrips() {
        let snapshot = PresenceSnapshot(guests: 3, users: Self.users)
        #expect(PresenceSnapshot(guests: 3, encoded: snapshot.encoded) == snapshot)
        let nobody = PresenceSnapshot(guests: 0, users: [])
        #expect(nobody.encoded == "")
        #expect(PresenceSnapshot(guests: 0, encoded: "") == nobody)
    }

    @Test func anAwayMessageKeepsItsSpaces() {
        let entry = PresenceSnapshot.Entry(userID: 1, name: "cat", sessions: 1, away: "  two  spaces ")
        let decoded = PresenceSnapshot(guests: 0, encoded: PresenceSnapshot(guests: 0, users: [entry]).encoded)
        #expect(decoded.users == [entry])
    }

    @Test func malformedLinesAreSkippedAndTheRestKept() {
        let decoded = PresenceSnapshot(guests: 1, encoded: "x 1 mallory\n5 one eve\n9\n8 1 dave\n\n6 2")
        #expect(decoded.users == [PresenceSnapshot.Entry(userID: 8, name: "dave", sessions: 1, away: nil)])
        #expect(decoded.guests == 1)
    }
}
