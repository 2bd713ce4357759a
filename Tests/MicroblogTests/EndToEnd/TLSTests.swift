import Foundation
import MicroblogTestSupport
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

@Suite("End to end: the TLS door", .enabled(if: OpenSSLTool.isAvailable, "needs the openssl command-line tool"))
struct TLSTests {
    private func tlsServer(
        _ files: TLSFiles, log: LogCapture? = nil, handshakeTimeout: Double = TLSConfiguration.defaultHandshakeTimeout,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws -> TestServer {
        try TestServer(log: log?.logger() ?? .silent) {
            $0.tls = files.configuration(handshakeTimeout: handshakeTimeout)
            configure(&$0)
        }
    }

    private func tlsPort(_ server: TestServer) throws -> UInt16 { try #require(server.server.tlsPort) }

    @Test func registerOverTLSAndPostsFlowBetweenDoors() throws {
        let files = try TLSFiles()
        let log = LogCapture()
        let server = try tlsServer(files, log: log)
        let secure = try SClient(port: try tlsPort(server))
        let alice = secure.client
        try alice.readUntil { $0.contains("new posts appear below") }
        alice.send("/register alice password1")
        try alice.readUntil { $0.contains("you are registered and logged in") }
        try log.waitFor("register over TLS") { $0.contains("event=register ") && $0.contains("door=tls") }

        let bob = try server.registeredClient("bob")
        try log.waitFor("register over the plain door") { $0.contains("user=bob") && $0.contains("door=plain") }

        alice.send("hello from the TLS door")
        try alice.readUntil { $0.hasPrefix("* posted #") }
        try bob.readUntil { $0.hasSuffix(" alice: hello from the TLS door") }

        bob.send("hello from the plain door")
        try bob.readUntil { $0.hasPrefix("* posted #") }
        try alice.readUntil { $0.hasSuffix(" bob: hello from the plain door") }

        // A later login over TLS says so too.
        alice.send("/logout")
        alice.send("/login alice password1")
        try alice.readUntil { $0 == "* welcome back, alice" }
        try log.waitFor("login over TLS") { $0.contains("event=login ") && $0.contains("door=tls") }
    }

    /// With the send threads sharing a flush (the threshold lowered to 2), TLS output sealed on the
    /// server queue still reaches every TLS watcher, every post, whole and in order.
    @Test func tlsWatchersGetEveryPostWhenTheSendThreadsEncrypt() throws {
        let files = try TLSFiles()
        let server = try tlsServer(files) {
            $0.sendThreads = 2
            $0.parallelSendThreshold = 2
            $0.settings.postRate = 0
        }
        var watchers: [SClient] = []
        for _ in 0..<3 {
            let secure = try SClient(port: try tlsPort(server))
            try secure.client.readUntil { $0.contains("new posts appear below") }
            watchers.append(secure)
        }
        try server.waitFor("the TLS watchers subscribed") { $0.watching >= 3 }
        let bob = try server.registeredClient("bob")
        for number in 1...5 { bob.send("post \(number) over every door") }
        for _ in 1...5 { try bob.readUntil { $0.hasPrefix("* posted #") } }
        for (index, watcher) in watchers.enumerated() {
            for number in 1...5 {
                let line = try watcher.client.readUntil { $0.contains(" bob: post ") }.last ?? ""
                #expect(line.hasSuffix(" bob: post \(number) over every door"), "watcher \(index): \(line)")
            }
        }
    }

    /// `--plaintext-passwords deny`: no password crosses the plain port, and the refusal names the TLS
    /// door; reading and watching stay open there, and live posts still reach it.
    @Test func plaintextPasswordsCanBeDenied() throws {
        let files = try TLSFiles()
        let server = try tlsServer(files) { $0.settings.plaintextPasswords = false }
        let port = try tlsPort(server)
        // The greeting says where passwords go, rather than offer a /login that would be refused.
        let greeted = try server.client()
        let greeting = try greeted.readUntil { $0.contains("new posts appear below") }
        #expect(greeting.contains("* TLS on port \(port); /help for more; times are UTC"), "\(greeting)")
        #expect(!greeting.contains { $0.contains("/register NAME to join") }, "\(greeting)")
        let plain = try server.greetedClient()
        for command in ["/login alice password1", "/login alice", "/register dave password1", "/register dave"] {
            let refused = try plain.run(command)
            #expect(refused.hasSuffix("(plaintext_denied)"), "\(command): \(refused)")
            #expect(refused.contains("TLS on port \(port)"), "\(refused)")
        }
        try plain.switchToJSON()
        plain.send("/login alice password1")
        let json = try plain.readUntil { $0.contains("\"type\":\"error\"") }
        #expect(json.last?.contains("\"code\":\"plaintext_denied\"") == true, "\(json)")
        #expect(json.last?.contains("\"command\":\"login\"") == true, "\(json)")
        plain.send("/feed 5")
        try plain.readUntil { $0.contains("\"command\":\"feed\"") }
        // A command that needs an account points to the TLS door, not to a /login that would be refused.
        plain.send("a post from nobody")
        let guest = try plain.readUntil { $0.contains("\"code\":\"not_logged_in\"") }
        #expect(guest.last?.contains("log in over TLS on port \(port) first") == true, "\(guest)")

        let secure = try SClient(port: port)
        let alice = secure.client
        try alice.readUntil { $0.contains("new posts appear below") }
        alice.send("/register alice password1")
        try alice.readUntil { $0.contains("you are registered and logged in") }
        alice.send("over TLS only")
        try alice.readUntil { $0.hasPrefix("* posted #") }
        try plain.readUntil { $0.contains("over TLS only") }
    }

    @Test(.enabled(if: access(SClient.socatPath, X_OK) == 0, "needs socat"))
    func socatIsAClientToo() throws {
        let files = try TLSFiles()
        let server = try tlsServer(files)
        let socat = try SClient.socat(port: try tlsPort(server))
        let carol = socat.client
        try carol.readUntil { $0.contains("new posts appear below") }
        carol.send("/register carol password1")
        try carol.readUntil { $0.contains("you are registered and logged in") }
        let watcher = try server.greetedClient()
        carol.send("hello from socat")
        try carol.readUntil { $0.hasPrefix("* posted #") }
        try watcher.readUntil { $0.hasSuffix(" carol: hello from socat") }
    }

    /// Back-pressure is the plain door's: encrypted output waits in the same buffer, under the same limit.
    @Test func aTLSClientStuckAtItsLimitIsDisconnected() throws {
        let files = try TLSFiles()
        let server = try tlsServer(files) {
            $0.settings.outputLimit = 16 * 1024
            $0.settings.postRate = 0
            $0.settings.commandRate = 0
            $0.settings.slowReaderTimeout = 1
            $0.settings.socketSendBuffer = 64 * 1024
        }
        // s_client stops reading from the server once its standard output, never read here, is full.
        let slow = try SClient(port: try tlsPort(server))
        try slow.client.readUntil { $0.contains("new posts appear below") }
        let watcher = try server.greetedClient()
        let poster = try server.registeredClient("poster")
        try server.waitFor("three watchers") { $0.watching == 3 }
        let filler = String(repeating: "xxxxxxxxx ", count: 12)
        var posted = 0
        while server.server.stats().largestPendingOutput < 16 * 1024 && posted < 20_000 {
            poster.send((posted..<posted + 50).map { "post \($0 + 1) \(filler)" }.joined(separator: "\n"))
            for _ in 0..<50 { #expect(try poster.readLine().hasPrefix("* posted #")) }
            // Each post's first row (the rest of it is wrapped to 80 columns under its text).
            _ = try watcher.readUntil { $0.hasPrefix("#\(posted + 50) ") }
            posted += 50
        }
        try server.waitFor("the slow reader to be dropped") { $0.connections == 2 }
        poster.send("/who")
        #expect(try poster.readUntil { $0.hasPrefix("* ") }.last == "* 1 user online, 1 guest")
        #expect(posted < 20_000, "the TLS client's output never reached its limit")
    }

    @Test func jsonModeOverTLS() throws {
        let files = try TLSFiles()
        let server = try tlsServer(files)
        let secure = try SClient(port: try tlsPort(server))
        let bot = secure.client
        try bot.readUntil { $0.contains("new posts appear below") }
        try bot.switchToJSON()
        bot.send("/register robot password1")
        let registered = try bot.readJSON()
        #expect(registered["type"] as? String == "ok")
        #expect(registered["command"] as? String == "register")

        let human = try server.registeredClient("human")
        human.send("hi bot")
        let live = try bot.readJSONUntil { $0["type"] as? String == "post" }
        #expect(live.last?["author"] as? String == "human")
        #expect(live.last?["text"] as? String == "hi bot")
    }

    /// Someone typing to the TLS port in nc or telnet (netkit telnet sends nothing before the server
    /// speaks, then the line typed), an HTTP request, a telnet client's negotiation: each is told in one
    /// line of plain text how to connect, then closed, and the handshake's failure is logged.
    @Test(arguments: [
        Array("hello\r\n".utf8), Array("/help\n".utf8), Array("GET / HTTP/1.1\r\nHost: example.org\r\n\r\n".utf8),
        [255, 251, 24],
    ])
    func plainTextToTheTLSPortIsAnsweredInPlainTextAndClosed(_ bytes: [UInt8]) throws {
        let files = try TLSFiles()
        let log = LogCapture()
        let server = try tlsServer(files, log: log)
        let tlsPort = try tlsPort(server)
        let client = try TestClient(port: tlsPort)
        client.sendBytes(bytes)
        let reply = String(decoding: try client.readBytesUntilClosed(), as: UTF8.self)
        #expect(
            reply
                == "* this port speaks TLS; connect with:\r\n  openssl s_client -quiet -connect 127.0.0.1:\(tlsPort)\r\n"
                + "* or in plain text:\r\n  telnet 127.0.0.1 \(server.server.port)\r\n")
        let line = try log.waitFor("tls_handshake_failed") { $0.contains("tls_handshake_failed") }
        #expect(line.contains("peer=127.0.0.1:"))
        #expect(line.contains("reason=\"plain text, not TLS"), "\(line)")
        try server.waitFor("the connection to go") { $0.connections == 0 }
        // The server still serves both doors.
        _ = try server.greetedClient()
        let secure = try SClient(port: tlsPort)
        try secure.client.readUntil { $0.contains("new posts appear below") }
    }

    /// Behind `--proxy-protocol` the plain port takes only the proxy, so the line names no plain port.
    @Test func theAnswerNamesNoPlainPortBehindAProxy() throws {
        let files = try TLSFiles()
        let server = try tlsServer(files) { $0.proxyProtocol = true }
        let tlsPort = try tlsPort(server)
        let client = try TestClient(port: tlsPort)
        client.send("hello", ending: "\r\n")
        let reply = String(decoding: try client.readBytesUntilClosed(), as: UTF8.self)
        #expect(
            reply
                == "* this port speaks TLS; connect with:\r\n  openssl s_client -quiet -connect 127.0.0.1:\(tlsPort)\r\n"
        )
    }

    /// Bytes that are neither text nor a TLS handshake (binary noise, a stray alert) are left to OpenSSL:
    /// no plain text comes back, at most the alert OpenSSL wrote (content type 21).
    @Test(arguments: [[UInt8](repeating: 0, count: 16), [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]])
    func otherBytesGetNoPlainText(_ bytes: [UInt8]) throws {
        let files = try TLSFiles()
        let log = LogCapture()
        let server = try tlsServer(files, log: log)
        let client = try TestClient(port: try tlsPort(server))
        client.sendBytes(bytes)
        let reply = try client.readBytesUntilClosed()
        #expect(reply.isEmpty || reply.first == 21, "\(reply)")
        let line = try log.waitFor("tls_handshake_failed") { $0.contains("tls_handshake_failed") }
        #expect(!line.contains("plain text"), "\(line)")
        try server.waitFor("the connection to go") { $0.connections == 0 }
    }

    @Test func tls11IsRefusedWithAnAlert() throws {
        let files = try TLSFiles()
        let log = LogCapture()
        let server = try tlsServer(files, log: log)
        let result = CleanSpawn.run(
            OpenSSLTool.path,
            ["s_client", "-connect", "127.0.0.1:\(try tlsPort(server))", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
            timeout: 10)
        #expect(result.status != 0)
        #expect(result.output.contains("alert protocol version"), "\(result.output)")
        let line = try log.waitFor("tls_handshake_failed") { $0.contains("tls_handshake_failed") }
        #expect(line.contains("unsupported protocol"))
        try server.waitFor("the connection to go") { $0.connections == 0 }
    }

    @Test func aHandshakeThatNeverCompletesIsClosedAfterTheTimeout() throws {
        let files = try TLSFiles()
        let log = LogCapture()
        // 2 s: long enough for the last, real handshake on a loaded machine (0.3 s once failed under load).
        let server = try tlsServer(files, log: log, handshakeTimeout: 2) { $0.settings.maxConnectionsPerIP = 1 }
        let silent = try TestClient(port: try tlsPort(server))
        try server.waitFor("the connection to be accepted") { $0.connections == 1 }
        // The handshake counts against the per-address limit: a second connection is turned away.
        let second = try TestClient(port: try tlsPort(server))
        #expect(try second.readBytesUntilClosed().isEmpty)
        #expect(try silent.readBytesUntilClosed(timeout: 5).isEmpty)
        try log.waitFor("tls_handshake_timeout") { $0.contains("tls_handshake_timeout") && $0.contains("peer=") }
        try server.waitFor("the connection to go") { $0.connections == 0 }
        // Its slot is free again.
        let secure = try SClient(port: try tlsPort(server))
        try secure.client.readUntil { $0.contains("new posts appear below") }
    }

    @Test func reloadServesTheNewCertificateToNewConnectionsAndKeepsSessions() throws {
        let files = try TLSFiles(commonName: "first")
        let log = LogCapture()
        let server = try tlsServer(files, log: log)
        let port = try tlsPort(server)
        #expect(try OpenSSLTool.servedSubject(port: port).hasSuffix("CN = first"))

        let secure = try SClient(port: port)
        let alice = secure.client
        try alice.readUntil { $0.contains("new posts appear below") }
        alice.send("/register alice password1")
        try alice.readUntil { $0.contains("you are registered and logged in") }

        let renewed = try TemporaryDirectory()
        try OpenSSLTool.makeCertificate(
            commonName: "second", certificate: renewed.path + "/cert.pem", key: renewed.path + "/key.pem")
        #expect(rename(renewed.path + "/cert.pem", files.certificate) == 0)
        #expect(rename(renewed.path + "/key.pem", files.key) == 0)
        server.server.reloadTLS()
        try log.waitFor("tls_reloaded") { $0.contains("tls_reloaded") }
        #expect(try OpenSSLTool.servedSubject(port: port).hasSuffix("CN = second"))

        // The session from before the reload is still there and still works.
        alice.send("still here")
        try alice.readUntil { $0.hasPrefix("* posted #") }

        // A bad file is logged, and the context from before kept.
        let garbage = Array("not a certificate\n".utf8)
        #expect(FileManager.default.createFile(atPath: files.certificate, contents: Data(garbage)))
        server.server.reloadTLS()
        let failure = try log.waitFor("tls_reload_failed") { $0.contains("tls_reload_failed") }
        #expect(failure.contains(files.certificate))
        #expect(try OpenSSLTool.servedSubject(port: port).hasSuffix("CN = second"))
        alice.send("/who")
        try alice.readUntil { $0.hasPrefix("* 1 user online") }
    }

    @Test func aBadCertificateOrKeyIsAStartErrorNamingTheFile() throws {
        let files = try TLSFiles()
        let other = try TLSFiles(commonName: "other")
        let missing = files.directory.path + "/missing.pem"
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.databasePath = files.directory.path + "/test.db"

        configuration.tls = TLSConfiguration(port: 0, certificatePath: missing, keyPath: files.key)
        let noCertificate = #expect(throws: TLSError.self) { try Server(configuration: configuration, log: .silent) }
        #expect(noCertificate?.description.contains(missing) == true)

        configuration.tls = TLSConfiguration(port: 0, certificatePath: files.certificate, keyPath: other.key)
        let mismatch = #expect(throws: TLSError.self) { try Server(configuration: configuration, log: .silent) }
        #expect(mismatch?.description.contains(other.key) == true)
        // No database is made for a server that cannot start.
        #expect(access(configuration.databasePath, F_OK) != 0)
    }

    /// The TLS command the server prints at start works for any line a person types: without -quiet,
    /// s_client took "Quite a nice day" for its quit command and never sent it.
    @Test func thePrintedTLSCommandSendsLinesStartingWithQAndR() throws {
        let files = try TLSFiles()
        let process = try MicroblogdProcess(
            database: files.directory.path + "/test.db", logPath: files.directory.path + "/server.log",
            arguments: MicroblogdProcess.unlimited + [
                "--tls-port", "0", "--tls-cert", files.certificate, "--tls-key", files.key,
            ])
        let printed = process.readPrinted { $0.contains("TLS on ") && $0.hasSuffix("\n") }
        let line = printed.split(separator: "\n").first { $0.hasPrefix("TLS on ") }
        let command = try #require(line.flatMap { line in line.firstRange(of: ":  ").map { line[$0.upperBound...] } })
        var words = command.split(separator: " ").map(String.init)
        #expect(words.first == "openssl")
        words[0] = OpenSSLTool.path
        let secure = try SClient(program: words[0], arguments: Array(words.dropFirst()))
        try secure.client.readUntil { $0.contains("new posts appear below") }
        secure.client.send("/register alice password1")
        try secure.client.readUntil { $0.contains("you are registered and logged in") }
        secure.client.send("Quite a nice day, posting over TLS")
        try secure.client.readUntil { $0.hasPrefix("* posted #1") }
        secure.client.send("R is for the renegotiation that must not happen")
        try secure.client.readUntil { $0.hasPrefix("* posted #2") }
        #expect(process.stop() == .exited(0))
    }

    /// The executable: SIGHUP reloads the certificate under a live session and the process goes on.
    @Test func sighupReloadsTheCertificateInTheRealServer() throws {
        let files = try TLSFiles(commonName: "first")
        let logPath = files.directory.path + "/server.log"
        let process = try MicroblogdProcess(
            database: files.directory.path + "/test.db", logPath: logPath,
            arguments: MicroblogdProcess.unlimited + [
                "--tls-port", "0", "--tls-cert", files.certificate, "--tls-key", files.key,
            ])
        func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        var port: UInt16?
        #expect(
            waitUntil {
                port = log().firstMatch(of: /event=tls_listening address=127\.0\.0\.1:(\d+)/).flatMap { UInt16($0.1) }
                return port != nil
            })
        let tlsPort = try #require(port)
        let secure = try SClient(port: tlsPort)
        try secure.client.readUntil { $0.contains("new posts appear below") }
        secure.client.send("/register alice password1")
        try secure.client.readUntil { $0.contains("you are registered and logged in") }

        let renewed = try TLSFiles(commonName: "second")
        #expect(rename(renewed.certificate, files.certificate) == 0)
        #expect(rename(renewed.key, files.key) == 0)
        kill(process.pid, SIGHUP)
        #expect(waitUntil { log().contains("event=tls_reloaded") }, "log: \(log())")
        #expect(process.isRunning)
        #expect(try OpenSSLTool.servedSubject(port: tlsPort).hasSuffix("CN = second"))
        secure.client.send("after the reload")
        try secure.client.readUntil { $0.hasPrefix("* posted #") }
        #expect(process.stop() == .exited(0))
    }
}
