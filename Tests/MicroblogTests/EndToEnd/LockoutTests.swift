import Foundation
import Testing

@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogModel
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogServer
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport

/// A client past its greeting, at `address` as its PROXY header names it (the server runs with
/// `--proxy-protocol`), so each client can be a different address on loopback.
private func client(of server: TestServer, from address: String) throws -> TestClient {
    let client = try server.client()
    client.send("PROXY TCP4 \(address) 127.0.0.1 50000 4242", ending: "\r\n")
    try client.readUntil { $0.contains("new posts appear below") }
    return client
}

/// Guessing at one name from many addresses must not lock its owner out (docs/security.md,
/// "Password guessing is slow"). Addresses come from PROXY headers, so each client can be a different
/// one on loopback.
@Suite("End to end: nobody can lock someone else out")
struct LockoutTests {
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

/// Password hashing is fair between addresses (docs/security.md, "Hashing cannot be monopolised").
@Suite("End to end: hashing cannot be monopolised")
struct HashingFairnessTests {
    /// 100 connections from one address loop `/login` with the right password and `/logout`, keeping
    /// about 100 hashes queued (two seconds of both cores' work). Another person's login, from another
    /// address, still takes its turn next: it answers in under a twentieth of the time the hammering
    /// takes to drain (about 500 ms on an idle machine), where it waited behind the whole backlog before.
    @Test func oneAddressHammeringLoginDoesNotStarveAnother() throws {
        let server = try TestServer {
            $0.proxyProtocol = true
            $0.statsInterval = 0
            $0.settings.maxConnectionsPerIP = 0
            $0.settings.commandRate = 0
            $0.settings.registrationsPerHour = 0
            // The pool alone is under test here; the budget below would stop the hammering early.
            $0.settings.passwordChecksPerMinute = 0
        }
        let setup = try client(of: server, from: "198.51.100.7")
        #expect(try setup.run("/register person right-password").contains("registered"))
        #expect(try setup.run("/logout").hasPrefix("* logged out"))
        #expect(try setup.run("/register hammer hammer-password").contains("registered"))
        let hammers = try (0..<100).map { _ in try client(of: server, from: "192.0.2.1") }
        let loop = String(repeating: "/login hammer hammer-password\n/logout\n", count: 5)
        for hammer in hammers { hammer.send(loop, ending: "") }
        // The backlog has formed once the first hammers have logged in.
        try hammers[0].readUntil { $0.hasPrefix("* welcome back") }
        let person = try client(of: server, from: "203.0.113.5")
        let started = Date()
        #expect(try person.run("/login person right-password").hasPrefix("* welcome back"))
        let waited = Date().timeIntervalSince(started)
        // Compared with the time the hammering takes to drain, so that a loaded machine slows both: taking
        // its turn next costs a few hashes, waiting behind the backlog about 100 of the (up to) 500.
        for hammer in hammers {
            for _ in 0..<5 { try hammer.readUntil(timeout: 60) { $0.hasPrefix("* logged out") } }
        }
        let drained = Date().timeIntervalSince(started)
        #expect(
            waited < drained / 20,
            "the login took \(waited) s behind the hammering address, which drained in \(drained) s")
    }
}

/// Password checks draw on a budget per connection and per address (docs/security.md, "Hashing
/// cannot be monopolised"), correct passwords included.
@Suite("End to end: password checks are budgeted")
struct PasswordCheckBudgetTests {
    @Test func loopingCorrectLoginsRunOutPerConnectionThenPerAddress() throws {
        let server = try TestServer {
            $0.proxyProtocol = true
            $0.statsInterval = 0
            $0.settings.registrationsPerHour = 0
            // 12 a minute from an address: 2 for each connection.
            $0.settings.passwordChecksPerMinute = 12
        }
        let setup = try client(of: server, from: "198.51.100.7")
        #expect(try setup.run("/register looper looper-password").contains("registered"))
        let first = try client(of: server, from: "192.0.2.1")
        for _ in 0..<2 {
            #expect(try first.run("/login looper looper-password").hasPrefix("* welcome back"))
            #expect(try first.run("/logout").hasPrefix("* logged out"))
        }
        let perConnection = try first.run("/login looper looper-password")
        #expect(perConnection.contains("too many password checks from this connection"), "\(perConnection)")
        #expect(perConnection.hasSuffix("(rate_limited)"))
        // Five more connections from the address use the rest of its 12...
        for index in 0..<5 {
            let other = try client(of: server, from: "192.0.2.1")
            for _ in 0..<2 {
                #expect(try other.run("/login looper looper-password").hasPrefix("* welcome back"), "\(index)")
                #expect(try other.run("/logout").hasPrefix("* logged out"))
            }
        }
        // ...so a fresh connection from it waits, and is told for how long.
        let fresh = try client(of: server, from: "192.0.2.1")
        let perAddress = try fresh.run("/login looper looper-password")
        #expect(perAddress.contains("too many password checks from your address"), "\(perAddress)")
        #expect(perAddress.contains("try again in"), "\(perAddress)")
        // Registration is a password check as well.
        #expect(try fresh.run("/register newcomer newcomer-password").hasSuffix("(rate_limited)"))
        // Another address is not held back.
        let elsewhere = try client(of: server, from: "203.0.113.5")
        #expect(try elsewhere.run("/login looper looper-password").hasPrefix("* welcome back"))
    }
}
