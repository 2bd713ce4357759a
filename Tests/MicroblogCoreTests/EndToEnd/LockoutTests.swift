import Foundation
import Testing

@testable import MicroblogCore

/// Guessing at one name from many addresses must not lock its owner out (README, "Password guessing
/// is slow"). Addresses come from PROXY headers, so each client can be a different one on loopback.
@Suite("End to end: nobody can lock someone else out")
struct LockoutTests {
    private func client(of server: TestServer, from address: String) throws -> TestClient {
        let client = try server.client()
        client.send("PROXY TCP4 \(address) 127.0.0.1 50000 4242", ending: "\r\n")
        try client.readUntil { $0.contains("new posts appear below") }
        return client
    }

    @Test func guessesFromThirtyAddressesDoNotKeepTheOwnerOut() throws {
        let server = try TestServer {
            $0.proxyProtocol = true
            $0.statsInterval = 0
            $0.settings.registrationsPerHour = 0
        }
        let owner = try client(of: server, from: "198.51.100.1")
        #expect(try owner.run("/register realuser right-password").contains("registered"))
        owner.send("/quit")
        _ = try owner.readUntilClosed()
        var throttledRetries = 0
        for index in 1...30 {
            let guesser = try client(of: server, from: "192.0.2.\(index)")
            #expect(try guesser.run("/login realuser wrong-\(index)").hasSuffix("(bad_login)"), "guess \(index)")
            // Past the free failures the name is guarded: the same address may not try again soon.
            if index > 3, try guesser.run("/login realuser again-\(index)").hasSuffix("(throttled)") {
                throttledRetries += 1
            }
        }
        #expect(throttledRetries == 27)
        // The owner, from an address never seen, gets in at once with the right password...
        let traveller = try client(of: server, from: "203.0.113.99")
        #expect(try traveller.run("/login realuser right-password").hasPrefix("* welcome back"))
        // ...and again from the address it registered from.
        let home = try client(of: server, from: "198.51.100.1")
        #expect(try home.run("/login realuser right-password").hasPrefix("* welcome back"))
    }
}
