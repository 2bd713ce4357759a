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

/// Marking one direct message read (it was shown live) and the account names for Tab completion, on
/// every engine.
@Suite("Store contract: messages read live, names for completion")
struct MessageReadStoreTests {
    static let start = Timestamp(milliseconds: 1_700_000_000_000)

    @Test(arguments: StoreEngine.available)
    func aMessageShownLiveIsMarkedReadForItsRecipientOnly(_ engine: StoreEngine) throws {
        try engine.withStore { store in
            let alice = try store.createUser(name: "alice", nameKey: "alice", passwordHash: "h", at: Self.start)
            let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: Self.start)
            let one = try store.sendMessage(from: alice.id, to: bob.id, text: "one", at: Self.start)
            _ = try store.sendMessage(from: alice.id, to: bob.id, text: "two", at: Self.start)
            #expect(try store.unreadMessages(of: bob.id) == 2)
            // Only its recipient reads it; the sender marking it changes nothing.
            #expect(try !store.markMessageRead(id: one.id, recipientID: alice.id, at: Self.start))
            #expect(try store.markMessageRead(id: one.id, recipientID: bob.id, at: Self.start))
            #expect(try !store.markMessageRead(id: one.id, recipientID: bob.id, at: Self.start))
            #expect(try store.unreadMessages(of: bob.id) == 1)
            #expect(try store.inbox(of: bob.id, limit: 10).map(\.unread) == [1])
            let later = Timestamp(milliseconds: Self.start.milliseconds + 60_000)
            #expect(try store.catchUp(of: bob.id, since: later, limit: 10).unreadMessages == 1)
        }
    }

    @Test(arguments: StoreEngine.available)
    func accountNamesAreTheNewestFirstAndLimited(_ engine: StoreEngine) throws {
        try engine.withStore { store in
            #expect(try store.accountNames(limit: 10).isEmpty)
            for name in ["alice", "bob", "carol"] {
                _ = try store.createUser(name: name, nameKey: name, passwordHash: "h", at: Self.start)
            }
            #expect(try store.accountNames(limit: 10).map(\.name) == ["carol", "bob", "alice"])
            #expect(try store.accountNames(limit: 2).map(\.name) == ["carol", "bob"])
        }
    }
}
