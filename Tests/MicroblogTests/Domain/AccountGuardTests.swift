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

@Suite("AccountGuard")
struct AccountGuardTests {
    @Test func aGuardedNameTakesOneAttemptPerAddressAndKnownAddressesPass() {
        var guarded = AccountGuard()
        guarded.freeFailures = 3
        guarded.retryAfter = 300
        for peer in ["a", "b", "c"] {
            #expect(guarded.admit(name: "bob", peer: peer, now: 0) == nil)
            guarded.recordFailure(name: "bob", now: 0)
        }
        #expect(guarded.isGuarded("bob", now: 1))
        #expect(guarded.admit(name: "bob", peer: "d", now: 1) == nil)
        #expect(guarded.admit(name: "bob", peer: "d", now: 2) == 299)
        #expect(guarded.admit(name: "bob", peer: "d", now: 301) == nil)
        // Another name is not touched.
        #expect(guarded.admit(name: "eve", peer: "d", now: 2) == nil)
        // A right password from e makes e known: it is never held back by the name.
        #expect(guarded.admit(name: "bob", peer: "e", now: 3) == nil)
        guarded.recordSuccess(name: "bob", peer: "e")
        #expect(guarded.admit(name: "bob", peer: "e", now: 4) == nil)
        #expect(guarded.admit(name: "bob", peer: "e", now: 5) == nil)
        // Failures are forgotten after forgetAfter without one.
        #expect(!guarded.isGuarded("bob", now: 2000))
        #expect(guarded.admit(name: "bob", peer: "d", now: 2000) == nil)
    }
}
