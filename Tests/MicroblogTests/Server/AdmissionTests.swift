import Testing

@testable import MicroblogDomain
@testable import MicroblogModel
@testable import MicroblogProtocol
@testable import MicroblogServer
@testable import MicroblogSupport

@Suite("Admission: the connection limits and the handshake budget every door shares, on the caller's clock")
struct AdmissionTests {
    @Test func theTotalLimitCountsEveryConnectionUntilItCloses() {
        var admission = Admission(maxConnections: 2, maxConnectionsPerAddress: 0, handshakesPerMinute: 0)
        #expect(admission.check(host: "10.0.0.1", handshake: false, now: 0) == nil)
        admission.opened(host: "10.0.0.1")
        admission.opened(host: "10.0.0.2")
        #expect(admission.open == 2)
        #expect(admission.check(host: "10.0.0.3", handshake: false, now: 0) == .serverFull(limit: 2))
        // A connection whose address is not known yet is turned away by the total alone.
        #expect(admission.check(host: nil, handshake: false, now: 0) == .serverFull(limit: 2))
        admission.closed(host: "10.0.0.1")
        #expect(admission.open == 1)
        #expect(admission.check(host: "10.0.0.3", handshake: false, now: 0) == nil)
    }

    @Test func thePerAddressLimitCountsEachAddressApart() {
        var admission = Admission(maxConnections: 0, maxConnectionsPerAddress: 2, handshakesPerMinute: 0)
        admission.opened(host: "a")
        admission.opened(host: "a")
        #expect(admission.check(host: "a", handshake: false, now: 0) == .tooManyConnections(limit: 2))
        #expect(admission.check(address: "a") == .tooManyConnections(limit: 2))
        #expect(admission.check(host: "b", handshake: false, now: 0) == nil)
        // Unknown (behind a PROXY header): only the total is checked before the header names the client.
        #expect(admission.check(host: nil, handshake: false, now: 0) == nil)
        admission.closed(host: "a")
        #expect(admission.connections(from: "a") == 1)
        #expect(admission.check(host: "a", handshake: false, now: 0) == nil)
        admission.closed(host: "a")
        // An address with no connection left is forgotten.
        #expect(admission.addresses == 0)
        #expect(admission.open == 0)
    }

    @Test func zeroMeansNoLimit() {
        var admission = Admission(maxConnections: 0, maxConnectionsPerAddress: 0, handshakesPerMinute: 0)
        for _ in 0..<1000 {
            #expect(admission.check(host: "a", handshake: true, now: 0) == nil)
            admission.opened(host: "a")
        }
        #expect(admission.open == 1000)
        #expect(admission.connections(from: "a") == 1000)
        #expect(admission.addressesHandshaking == 0)
    }

    @Test func aProxiedConnectionCountsTowardItsAddressOnceIdentified() {
        var admission = Admission(maxConnections: 10, maxConnectionsPerAddress: 1, handshakesPerMinute: 0)
        admission.opened(host: nil)
        admission.opened(host: nil)
        #expect(admission.open == 2)
        #expect(admission.addresses == 0)
        // The first header names a client; the second names the same one, which has its one connection.
        #expect(admission.check(address: "client") == nil)
        admission.identified(host: "client")
        #expect(admission.check(address: "client") == .tooManyConnections(limit: 1))
        // The refused one closes without an address; the admitted one closes under its client's.
        admission.closed(host: nil)
        #expect(admission.connections(from: "client") == 1)
        admission.closed(host: "client")
        #expect(admission.open == 0)
        #expect(admission.addresses == 0)
    }

    @Test func theHandshakeBudgetRefillsOverAMinuteAndSaysWhenToComeBack() {
        var admission = Admission(maxConnections: 0, maxConnectionsPerAddress: 0, handshakesPerMinute: 2)
        #expect(admission.check(host: "a", handshake: true, now: 100) == nil)
        #expect(admission.check(host: "a", handshake: true, now: 100) == nil)
        // One handshake comes back every 30 seconds; the wait is whole seconds, rounded up.
        #expect(admission.check(host: "a", handshake: true, now: 100) == .handshakeBudget(retryAfter: 30))
        #expect(admission.check(host: "a", handshake: true, now: 110.5) == .handshakeBudget(retryAfter: 20))
        // Another address has its own budget, and a door without handshakes takes none.
        #expect(admission.check(host: "b", handshake: true, now: 110.5) == nil)
        #expect(admission.check(host: "a", handshake: false, now: 110.5) == nil)
        #expect(admission.check(host: "a", handshake: true, now: 130) == nil)
    }

    @Test func aConnectionRefusedByALimitTakesNoHandshake() {
        var admission = Admission(maxConnections: 0, maxConnectionsPerAddress: 1, handshakesPerMinute: 1)
        admission.opened(host: "a")
        #expect(admission.check(host: "a", handshake: true, now: 0) == .tooManyConnections(limit: 1))
        #expect(admission.addressesHandshaking == 0)
        admission.closed(host: "a")
        #expect(admission.check(host: "a", handshake: true, now: 0) == nil)
        #expect(admission.check(host: "a", handshake: true, now: 0) == .handshakeBudget(retryAfter: 60))
    }

    @Test func pruningForgetsBudgetsThatAreWholeAgain() {
        var admission = Admission(maxConnections: 0, maxConnectionsPerAddress: 0, handshakesPerMinute: 60)
        #expect(admission.check(host: "a", handshake: true, now: 0) == nil)
        #expect(admission.check(host: "b", handshake: true, now: 0.5) == nil)
        #expect(admission.addressesHandshaking == 2)
        admission.prune(now: 0.5)
        #expect(admission.addressesHandshaking == 2)
        // One token a second: "a" is whole again a second after its handshake, "b" half a second later.
        admission.prune(now: 1)
        #expect(admission.addressesHandshaking == 1)
        admission.prune(now: 1.5)
        #expect(admission.addressesHandshaking == 0)
    }

    @Test func refusalsNameTheirReasonAndWhatThePlainDoorSays() throws {
        #expect(Admission.Refusal.serverFull(limit: 1).reason == "server_full")
        #expect(Admission.Refusal.tooManyConnections(limit: 3).reason == "too_many_connections")
        #expect(Admission.Refusal.handshakeBudget(retryAfter: 5).reason == "handshake_budget")
        let full = try #require(Admission.Refusal.serverFull(limit: 1).error)
        #expect(full == WireError(.serverFull, "the server is full (1 connections); try later"))
        let many = Admission.Refusal.tooManyConnections(limit: 3).error
        #expect(many == WireError(.tooManyConnections, "too many connections from your address (3); close some first"))
        #expect(Admission.Refusal.handshakeBudget(retryAfter: 5).error == nil)
        let line = TextRenderer.render(.error(full, command: nil), now: .now())
        #expect(
            String(decoding: line, as: UTF8.self) == "! the server is full (1 connections); try later (server_full)\r\n"
        )
    }
}
