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

#if canImport(Glibc)
    import Glibc
#endif

@Suite("End to end: limits and back-pressure")
struct LimitsTests {
    /// Posts `count` posts from `poster` in batches, reading each batch's acknowledgements and letting
    /// `watcher` read the live copies, so neither of them becomes a slow reader itself.
    private func post(_ count: Int, from poster: TestClient, watchedBy watcher: TestClient) throws -> [String] {
        let filler = String(repeating: "xxxxxxxxx ", count: 12)
        var seen: [String] = []
        var sent = 0
        while sent < count {
            let batch = min(50, count - sent)
            poster.send((sent..<sent + batch).map { "post \($0 + 1) \(filler)" }.joined(separator: "\n"))
            for _ in 0..<batch { #expect(try poster.readLine().hasPrefix("* posted #")) }
            // Each post's first row (the rest of it is wrapped to 80 columns under its text).
            while seen.count < sent + batch {
                let row = try watcher.readLine()
                if row.hasPrefix("#") { seen.append(row) }
            }
            sent += batch
        }
        return seen
    }

    /// `/who` lists at most `whoListLimit` accounts, however many are online, and says so; the count is whole.
    @Test func whoListsABoundedNumberOfAccounts() throws {
        let server = try TestServer { $0.settings.whoListLimit = 2 }
        let clients = try ["carol", "alice", "bob"].map { try server.registeredClient($0) }
        clients[0].send("/who")
        let lines = try clients[0].readUntil { $0.hasPrefix("* ") && $0.contains("online") }
        #expect(lines.filter { $0.hasPrefix("  ") } == ["  alice", "  bob"])
        #expect(lines.last?.contains("3 users online, 0 guests; the first 2 by name are listed") == true, "\(lines)")
    }

    @Test func aClientThatNeverReadsMissesLivePostsButNeverGrowsMemory() throws {
        let limit = 32 * 1024
        let server = try TestServer {
            $0.settings.outputLimit = limit
            $0.settings.postRate = 0
            $0.settings.commandRate = 0
            $0.settings.slowReaderTimeout = 0
            $0.settings.socketSendBuffer = 64 * 1024
        }
        let slow = try TestClient(port: server.port, receiveBuffer: 64 * 1024)
        let watcher = try server.greetedClient()
        let poster = try server.registeredClient("poster")
        try server.waitFor("three watchers") { $0.watching == 3 }

        let total = 3000
        let seen = try post(total, from: poster, watchedBy: watcher)
        // Everyone else got every post, in order.
        #expect(seen.count == total)
        #expect(seen.last?.contains("poster: post \(total) ") == true)
        let stats = server.server.stats()
        #expect(stats.largestPendingOutput >= limit, "the slow client's buffer should have filled: \(stats)")
        #expect(stats.largestPendingOutput < limit + 4096, "output must stay bounded: \(stats)")

        // Once the slow client reads, it gets what was queued, then one notice naming what it missed.
        let lines = TestClient.joined(try slow.readUntil(timeout: 20) { $0.hasSuffix("shows them") })
        let received = lines.compactMap { line -> Int? in
            guard line.hasPrefix("#"), let match = line.firstMatch(of: #/poster: post (\d+) /#) else { return nil }
            return Int(match.1)
        }
        let notice = try #require(
            lines.last?.firstMatch(of: #/\* (\d+) live posts were .* /feed since (\d+) shows them/#))
        let missed = try #require(Int(notice.2))
        #expect(received == Array(1...received.count), "delivered posts are a gap-free prefix")
        #expect(received.count + (Int(notice.1) ?? -1) == total)
        // The ids of the posts are 1...total here, so "since" names the last one delivered.
        #expect(missed == received.count)
        slow.send("/feed since \(missed) 1")
        #expect(try slow.readUntil { $0.hasPrefix("#") }.last?.contains("poster: post \(missed + 1) ") == true)
    }

    @Test func aClientStuckAtItsLimitIsDisconnected() throws {
        let server = try TestServer {
            $0.settings.outputLimit = 16 * 1024
            $0.settings.postRate = 0
            $0.settings.commandRate = 0
            $0.settings.slowReaderTimeout = 1
            $0.settings.socketSendBuffer = 64 * 1024
        }
        let slow = try TestClient(port: server.port, receiveBuffer: 64 * 1024)
        let watcher = try server.greetedClient()
        let poster = try server.registeredClient("poster")
        try server.waitFor("three watchers") { $0.watching == 3 }
        var posted = 0
        while server.server.stats().largestPendingOutput < 16 * 1024 && posted < 5000 {
            posted += try post(100, from: poster, watchedBy: watcher).count
        }
        try server.waitFor("the slow reader to be dropped") { $0.connections == 2 }
        // It can still read what was sent before the close, then the end of the stream.
        _ = try slow.readBytesUntilClosed(timeout: 20)
        poster.send("/who")
        #expect(try poster.readUntil { $0.hasPrefix("* ") }.last == "* 1 user online, 1 guest")
    }

    @Test func connectionsBeyondTheLimitsAreRefusedWithOneLine() throws {
        let perAddress = try TestServer { $0.settings.maxConnectionsPerIP = 2 }
        let first = try perAddress.greetedClient()
        let second = try perAddress.greetedClient()
        let third = try perAddress.client()
        #expect(
            try third.readUntilClosed() == [
                "! too many connections from your address (2); close some first",
                "  (too_many_connections)",
            ])
        first.send("/quit")
        _ = try first.readUntilClosed()
        try perAddress.waitFor("the first to go") { $0.connections == 1 }
        _ = try perAddress.greetedClient()
        _ = second

        let full = try TestServer {
            $0.settings.maxConnections = 1
            $0.settings.maxConnectionsPerIP = 0
        }
        let only = try full.greetedClient()
        let refused = try full.client()
        #expect(try refused.readUntilClosed() == ["! the server is full (1 connections); try later (server_full)"])
        only.send("/who")
        #expect(try only.readLine() == "* 0 users online, 1 guest")
    }

    @Test func idleSessionsCloseUnlessTheyWatch() throws {
        let server = try TestServer { $0.settings.idleTimeout = 1 }
        let watching = try server.greetedClient()
        let idle = try server.greetedClient()
        idle.send("/watch off")
        #expect(try idle.readLine() == "* live feed off; /watch on to resume")
        #expect(try idle.readUntilClosed() == ["* closing: nothing sent for 1 s and the live feed is off"])
        // The watching session was just as idle, and is still served.
        watching.send("/who")
        #expect(try watching.readLine() == "* 0 users online, 1 guest")
    }

    @Test func anUnansweredPasswordPromptGivesUp() throws {
        let server = try TestServer(lineModeTelnet: true) { $0.settings.promptTimeout = 1 }
        let telnet = try server.greetedClient()
        telnet.send("/login alice", ending: "\r\n")
        try telnet.readUntilBytes(Array("Password: ".utf8))
        telnet.sendBytes([255, 253, 1])  // DO ECHO
        // Echo comes back on, the line ends, and the error says what happened.
        #expect(try telnet.readUntilBytes([255, 252, 1]) == [255, 252, 1])
        #expect(try telnet.readLine() == "")
        #expect(try telnet.readLine() == "! no answer within 1 s; /login again (prompt_timeout)")
        telnet.send("/who", ending: "\r\n")
        #expect(try telnet.readLine() == "* 0 users online, 1 guest")
    }

    /// Over nc nobody's Enter ends the prompt's line: the error still starts a line of its own.
    @Test func anUnansweredPromptOverNcEndsItsLine() throws {
        let server = try TestServer { $0.settings.promptTimeout = 1 }
        let nc = try server.greetedClient()
        nc.send("/login alice")
        try nc.readUntilBytes(Array("Password: ".utf8))
        #expect(try nc.readLine() == "")
        #expect(try nc.readLine() == "! no answer within 1 s; /login again (prompt_timeout)")
    }

    @Test func postingTooFastIsRefusedWithTheWait() throws {
        let server = try TestServer {
            $0.settings.postRate = 0.5
            $0.settings.postBurst = 2
        }
        let bot = try server.registeredClient("bot")
        try bot.switchToJSON()
        bot.send("one\ntwo\nthree")
        #expect(try bot.readJSON()["type"] as? String == "ok")
        #expect(try bot.readJSON()["type"] as? String == "ok")
        let refused = try bot.readJSON()
        #expect(refused["code"] as? String == "rate_limited")
        let wait = try #require(refused["retry_after_ms"] as? Int)
        // A token comes every 2 s; less is left to wait the longer the first two posts took to commit.
        #expect(wait > 0 && wait <= 2000, "\(wait)")
        #expect((refused["message"] as? String)?.contains("try again in") == true)
    }

    @Test func linesBeyondTheCommandRateWaitButAreNotLost() throws {
        let server = try TestServer {
            $0.settings.commandRate = 10
            $0.settings.commandBurst = 5
        }
        let client = try server.greetedClient()
        let started = Date()
        client.send(Array(repeating: "/who", count: 25).joined(separator: "\n"))
        for _ in 0..<25 { #expect(try client.readLine() == "* 0 users online, 1 guest") }
        // 20 lines beyond the burst at 10 a second cannot be answered in less than about 2 s.
        #expect(Date().timeIntervalSince(started) > 1.5)
    }

    @Test func repeatedFailedLoginsMustWaitWithoutStallingOthers() throws {
        let server = try TestServer { $0.settings.loginFreeFailures = 2 }
        try server.registeredClient("alice").send("/quit")
        let guesser = try server.greetedClient()
        try guesser.switchToJSON()
        // Two failures are free; the attempt after them must wait.
        for _ in 0..<2 {
            guesser.send("/login alice wrong-guess")
            #expect(try guesser.readJSON()["code"] as? String == "bad_login")
        }
        guesser.send("/login alice password1")
        let throttled = try guesser.readJSON()
        #expect(throttled["code"] as? String == "throttled")
        #expect((throttled["retry_after_ms"] as? Int ?? 0) > 0)
        // Others are served at once meanwhile.
        let other = try server.greetedClient()
        other.send("/who")
        #expect(try other.readLine() == "* 0 users online, 2 guests")
    }

    @Test func registrationsPerAddressAreLimited() throws {
        let server = try TestServer { $0.settings.registrationsPerHour = 2 }
        let client = try server.greetedClient()
        try client.switchToJSON()
        for name in ["first", "second"] {
            client.send("/register \(name) password1")
            #expect(try client.readJSON()["type"] as? String == "ok")
            client.send("/logout")
            #expect(try client.readJSON()["type"] as? String == "ok")
        }
        client.send("/register third password1")
        let refused = try client.readJSON()
        #expect(refused["code"] as? String == "rate_limited")
        #expect((refused["retry_after_ms"] as? Int ?? 0) > 60_000)
    }
}
