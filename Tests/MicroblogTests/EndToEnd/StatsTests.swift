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

@Suite("End to end: /stats, the stats line and the log")
struct StatsTests {
    /// `/stats` in text mode, as a dictionary of its `  name value` lines.
    private func stats(_ client: TestClient) throws -> [String: String] {
        client.send("/stats")
        let lines = try client.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }
        #expect(lines.last?.hasPrefix("* server statistics") == true, "\(lines)")
        var figures: [String: String] = [:]
        for line in lines.dropLast() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            #expect(line.hasPrefix("  ") && parts.count == 2, "not a name value line: \(line)")
            if parts.count == 2 { figures[String(parts[0])] = String(parts[1]) }
        }
        return figures
    }

    private func number(_ figures: [String: String], _ name: String) throws -> Double {
        try #require(figures[name].flatMap(Double.init), "\(name) in \(figures)")
    }

    private func adminServer(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer
    {
        try TestServer {
            $0.settings.admins = ["root"]
            $0.settings.postRate = 0
            configure(&$0)
        }
    }

    @Test func onlyAdministratorsSeeStats() throws {
        let server = try adminServer()
        let guest = try server.greetedClient()
        #expect(try guest.run("/stats").hasSuffix("(not_logged_in)"))
        let bob = try server.registeredClient("bob")
        #expect(try bob.run("/stats") == "! only administrators can see /stats (forbidden)")
        bob.send("/mode json")
        _ = try bob.readJSON()
        bob.send("/stats")
        let refusal = try bob.readJSON()
        #expect(refusal["type"] as? String == "error" && refusal["code"] as? String == "forbidden")
        // /help lists it, as an administrators' command.
        guest.send("/help stats")
        #expect(try guest.readUntil { $0.hasPrefix("* ") }.contains { $0.contains("/stats") })
    }

    /// With `--admin root` and no account `root` yet, look-alikes that share its name key (case, digits
    /// for letters, folded confusables) get no administrator rights; only the exact name does.
    @Test func lookAlikesOfAnAdministratorAreNotAdministrators() throws {
        // A look-alike that exists before the administrator was named (say, from an older start).
        for (index, lookAlike) in ["Root", "R00T", "r0ot", "ro_ot"].enumerated() {
            let directory = try TemporaryDirectory()
            try AccountTool.create(name: lookAlike, password: "password1", database: directory.path + "/test.db")
            let server = try TestServer(directory: directory) { $0.settings.admins = ["root"] }
            let impostor = try server.greetedClient()
            #expect(
                try impostor.run("/login \(lookAlike) password1").hasPrefix(
                    "* welcome, \(lookAlike)! this is your first login"))
            #expect(try impostor.run("/stats") == "! only administrators can see /stats (forbidden)", "\(index)")
        }
        // The administrator's name and its look-alikes cannot be registered over the wire at all.
        let server = try adminServer()
        let guest = try server.greetedClient()
        for name in ["root", "Root", "r00t"] {
            #expect(try guest.run("/register \(name) password1").hasSuffix("(name_taken)"), "\(name)")
        }
        let root = try server.registeredClient("root")
        #expect(try root.run("/stats").hasPrefix("* "))
    }

    @Test func anAdministratorWithNoAccountIsWarnedAboutAtStart() throws {
        let log = LogCapture()
        let server = try TestServer(log: log.logger()) { $0.settings.admins = ["boss"] }
        try log.waitFor("admin_missing") { $0.contains("event=admin_missing") && $0.contains("name=boss") }
        _ = server
    }

    @Test func figuresMoveWithConnectionsPostsAndDisconnects() throws {
        let server = try adminServer()
        let root = try server.registeredClient("root")
        let before = try stats(root)
        #expect(before["version"] == Options.version || before["version"] != nil)
        #expect(try number(before, "connections") == 1)
        #expect(try number(before, "sessions_logged_in") == 1)
        #expect(try number(before, "posts") == 0)
        #expect(try number(before, "open_files") > 0)
        #expect(try number(before, "open_files_limit") >= number(before, "open_files"))
        #expect(try number(before, "rss_bytes") > 1_000_000)
        #expect(try number(before, "db_bytes") > 0)

        let bob = try server.registeredClient("bob")
        let guest = try server.greetedClient()
        for number in 1...3 {
            bob.send("post \(number)")
            try bob.readUntil { $0.hasPrefix("* posted #") }
        }
        for _ in 1...3 { _ = try root.readLine() }  // root watches: it receives bob's posts live
        for _ in 1...3 { _ = try guest.readLine() }
        guest.send("/quit")
        _ = try guest.readUntilClosed()
        try server.waitFor("the guest gone") { $0.connections == 2 }

        let after = try stats(root)
        #expect(try number(after, "connections") == 2)
        #expect(try number(after, "connections_peak") == 3)
        #expect(try number(after, "sessions_logged_in") == 2)
        #expect(try number(after, "users") == 2)
        #expect(try number(after, "posts") == 3)
        #expect(try number(after, "posts_last_minute") == 3)
        #expect(try number(after, "commits_last_minute") >= 1)
        #expect(try number(after, "commit_p99_ms") >= number(after, "commit_p50_ms"))
        #expect(try number(after, "commit_p50_ms") > 0)
        #expect(try number(after, "deliveries_total") == 6, "3 posts to root and to the guest")
        #expect(try number(after, "disconnects_quit") == 1)
        #expect(try number(after, "live_dropped_total") == 0)
    }

    @Test func livePostsDroppedForASlowReaderAreCounted() throws {
        let server = try adminServer {
            $0.settings.outputLimit = 16 * 1024
            $0.settings.commandRate = 0
            $0.settings.slowReaderTimeout = 0
            $0.settings.socketSendBuffer = 64 * 1024
        }
        let slow = try TestClient(port: server.port, receiveBuffer: 64 * 1024)
        let root = try server.registeredClient("root")
        root.send("/watch off")
        _ = try root.readUntil { $0.hasPrefix("* ") }
        let poster = try server.registeredClient("poster")
        try server.waitFor("the slow client and the poster watching") { $0.watching == 2 }
        let text = String(repeating: "x", count: 250)
        for number in 1...1500 { poster.send("\(number) \(text)") }
        for _ in 1...1500 { try poster.readUntil { $0.hasPrefix("* posted #") } }
        let figures = try stats(root)
        #expect(try number(figures, "live_dropped_total") > 0)
        #expect(try number(figures, "posts") == 1500)
        withExtendedLifetime(slow) {}
    }

    @Test func jsonStatsAreOneObjectOfNumbers() throws {
        let server = try adminServer()
        let root = try server.registeredClient("root")
        try root.switchToJSON()
        root.send("/stats")
        let object = try root.readJSON()
        #expect(object["type"] as? String == "stats")
        for name in [
            "uptime_seconds", "connections", "connections_peak", "sessions_logged_in", "sessions_watching", "users",
            "posts", "posts_last_minute", "deliveries_per_second", "live_dropped_total", "disconnects_quit",
            "disconnects_idle", "disconnects_slow_reader", "disconnects_limit", "disconnects_error",
            "commit_p50_ms", "commit_p99_ms", "db_bytes", "wal_bytes", "rss_bytes", "open_files", "open_files_limit",
        ] {
            #expect(object[name] is NSNumber, "\(name) should be a JSON number: \(object[name] ?? "missing")")
        }
        #expect(object["version"] as? String == Options.version || object["version"] is String)
        let ok = try root.readJSON()
        #expect(ok["type"] as? String == "ok" && ok["command"] as? String == "stats")
    }

    @Test func connectionsRefusedAtALimitAreCounted() throws {
        let server = try adminServer { $0.settings.maxConnections = 2 }
        let root = try server.registeredClient("root")
        let second = try server.greetedClient()
        let refused = try server.client()
        #expect(try refused.readLine().hasSuffix("(server_full)"))
        let figures = try stats(root)
        #expect(try number(figures, "disconnects_limit") == 1)
        withExtendedLifetime(second) {}
    }

    @Test func theStatsLineAppearsInTheLogAtTheInterval() throws {
        let capture = LogCapture()
        let server = try TestServer(log: capture.logger()) { $0.statsInterval = 0.2 }
        let client = try server.greetedClient()
        let line = try capture.waitFor("a stats line") { $0.contains("event=stats") }
        #expect(line.hasPrefix("time=") && line.contains(" level=info "))
        for name in ["uptime_seconds=", "connections=1 ", "posts=0 ", "commit_p99_ms=", "rss_bytes=", "open_files="] {
            #expect(line.contains(name), "\(name) in \(line)")
        }
        withExtendedLifetime(client) {}
    }

    @Test func noPasswordEverReachesTheLogAtAnyLevel() throws {
        let capture = LogCapture()
        let server = try TestServer(log: capture.logger(.debug)) { $0.statsInterval = 0 }
        let secret = "Sup3rSecretPassw0rd"
        let wrong = "Wr0ngSecretGuess"
        let client = try server.greetedClient()
        client.send("/register root \(secret)")
        try client.readUntil { $0.contains("registered") }
        client.send("a post that debug shows")
        try client.readUntil { $0.hasPrefix("* posted") }
        client.send("/logout")
        try client.readUntil { $0.hasPrefix("* ") }
        client.send("/login root \(wrong)")
        try client.readUntil { $0.hasPrefix("! ") }
        client.send("/login root")  // the hidden prompt
        _ = try client.readUntilBytes(Array("Password: ".utf8))
        client.send(secret)
        try client.readUntil { $0.contains("welcome back") }
        client.send("/quit")
        _ = try client.readUntilClosed()
        try capture.waitFor("the disconnect") { $0.contains("event=disconnect") }
        let lines = capture.lines
        for event in ["connect", "register", "post", "logout", "login_failed", "login", "disconnect"] {
            #expect(lines.contains { $0.contains(" event=\(event) ") || $0.hasSuffix(" event=\(event)") }, "\(event)")
        }
        #expect(
            lines.contains { $0.contains("event=post") && $0.contains("level=debug") && $0.contains("debug shows") })
        for line in lines {
            #expect(!line.contains(secret), "a password in the log: \(line)")
            #expect(!line.contains(wrong), "a password in the log: \(line)")
            #expect(
                line.wholeMatch(
                    of: /time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(debug|info|warn|error) event=[a-z_]+( .*)?/)
                    != nil, "\(line)")
        }
    }
}
