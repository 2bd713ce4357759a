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

/// The SSH door with the real OpenSSH client: one account on every door, passwords and guests, PTY
/// sessions sized by the client, one-shot commands with an exit status, and everything else refused.
@Suite("End to end: the SSH door", .serialized)
struct SSHDoorTests {
    @Test func theHostKeyIsMadeOnceLoggedAndKeptAcrossRestarts() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/test.db"
        let keyPath = SSHHostKey.defaultPath(forDatabase: database)
        let logPath = directory.path + "/server.log"
        func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        func start() throws -> (MicroblogdProcess, fingerprint: String, port: UInt16) {
            let process = try MicroblogdProcess(
                database: database, logPath: logPath, arguments: MicroblogdProcess.unlimited + ["--ssh-port", "0"])
            var found: (String, UInt16)?
            #expect(
                waitUntil {
                    found = log().matches(of: /event=ssh_listening address=127\.0\.0\.1:(\d+) fingerprint=(SHA256:\S+)/)
                        .last.flatMap { match in UInt16(match.1).map { (String(match.2), $0) } }
                    return found != nil
                }, "log: \(log())")
            let (fingerprint, port) = try #require(found)
            return (process, fingerprint, port)
        }

        let (first, fingerprint, port) = try start()
        let key = try SSHHostKey.load(path: keyPath)
        #expect(key.fingerprint == fingerprint)
        var status = stat()
        #expect(stat(keyPath, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)

        // The real client checks the host key against the file's ("Host key verification failed" otherwise)
        // and, as a guest, runs one command.
        let knownHosts = directory.path + "/known_hosts"
        try "[127.0.0.1]:\(port) \(key.publicKeyLine)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let client = try SSHClientProcess(
            port: Int(port),
            arguments: [
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts,
                "visitor@127.0.0.1", "who",
            ],
            environment: [:])
        #expect(client.waitForExit() == 0, "ssh said: \(client.errors)")
        #expect(client.output.contains("online"))
        #expect(first.stop() == .exited(0))

        try? FileManager.default.removeItem(atPath: logPath)
        let (second, again, _) = try start()
        #expect(again == fingerprint)
        #expect(second.stop() == .exited(0))
    }

    /// Registered over the plain door, logged in over SSH by password (both SSH methods), posting there,
    /// and the post arriving live at the plain door; a failing command exits 1.
    @Test func oneAccountOnEveryDoorAndOneShotCommandsExitWithTheirOutcome() throws {
        let log = LogCapture()
        let kit = try SSHKit(log: log)
        let bob = try kit.server.registeredClient("bob")
        _ = try kit.server.registeredClient("alice")

        let post = try kit.ssh("alice", ["post", "hello from the ssh door"], password: "password1")
        #expect(post.waitForExit() == 0, "ssh said: \(post.errors)")
        #expect(post.output.contains("posted #"), "output: \(post.output)")
        try bob.readUntil { $0.hasSuffix(" alice: hello from the ssh door") }
        try log.waitFor("the login over SSH") {
            $0.contains("event=login ") && $0.contains("user=alice") && $0.contains("door=ssh")
                && $0.contains("method=keyboard-interactive")
        }

        try log.waitFor("the session's connect line") { $0.contains("event=connect ") && $0.contains("door=ssh") }

        let failing = try kit.ssh("alice", ["follow", "nobody"], password: "password1", methods: "password")
        #expect(failing.waitForExit() == 1, "ssh said: \(failing.errors)")
        #expect(failing.output.contains("no_such_user"), "output: \(failing.output)")
        try log.waitFor("the password login") { $0.contains("door=ssh") && $0.contains("method=password") }

        // Several lines in one command, the slash optional, JSON included.
        let feed = try kit.ssh("alice", ["/mode json\nfeed"], password: "password1")
        #expect(feed.waitForExit() == 0, "ssh said: \(feed.errors)")
        #expect(feed.output.contains(#""text":"hello from the ssh door""#), "output: \(feed.output)")

        // A one-shot session neither greets nor receives live posts.
        #expect(!post.output.contains("welcome"))
    }

    /// A key added with `/key add` over the plain door logs in over SSH without a password: a one-shot
    /// command, and a bot's session with `ssh -T` and `/mode json`. The key is no use for another name,
    /// nor once removed.
    @Test func keyLoginForPeopleAndBots() throws {
        let log = LogCapture()
        let kit = try SSHKit(log: log)
        let bot = try kit.server.registeredClient("bot")
        _ = try kit.server.registeredClient("other")
        bot.send("/key add \(try kit.publicKeyLine)")
        try bot.readUntil { $0.contains("SHA256:") }

        let post = try kit.ssh("bot", ["post", "signed by my key"], key: true)
        #expect(post.waitForExit() == 0, "ssh said: \(post.errors)")
        try bot.readUntil { $0.hasSuffix(" bot: signed by my key") }
        try log.waitFor("the key login") { $0.contains("event=login ") && $0.contains("method=publickey") }

        let session = try kit.ssh("bot", key: true, options: ["-T"])
        #expect(waitUntil { session.output.contains("logged in as bot;") }, "output: \(session.output)")
        session.send("/mode json\n/post beep\n/quit\n")
        #expect(session.waitForExit() == 0, "ssh said: \(session.errors)")
        #expect(session.output.contains(#""command":"post""#), "output: \(session.output)")

        // Not the other account's key: with no password to fall back on (BatchMode), ssh gives up.
        let wrongName = try kit.ssh("other", ["who"], key: true)
        #expect(wrongName.waitForExit() == 255)
        #expect(wrongName.errors.contains("Permission denied"), "ssh said: \(wrongName.errors)")

        bot.send("/key remove 1")
        try bot.readUntil { $0.contains("removed") }
        let removed = try kit.ssh("bot", ["who"], key: true)
        #expect(removed.waitForExit() == 255)
    }

    /// An account that chose a time zone is greeted with it over SSH, instead of "times are UTC".
    @Test func theGreetingNamesTheAccountsTimeZone() throws {
        let kit = try SSHKit()
        let ann = try kit.server.registeredClient("ann")
        ann.send("/key add \(try kit.publicKeyLine)")
        try ann.readUntil { $0.contains("SHA256:") }
        #expect(try ann.run("/tz Asia/Tokyo") == "* times are now shown in Asia/Tokyo (GMT+9)")
        let session = try kit.ssh("ann", key: true, options: ["-T"])
        #expect(
            waitUntil { session.output.contains("* times are shown in Asia/Tokyo (/tz changes it)") },
            "output: \(session.output)")
        session.send("/quit\n")
        #expect(session.waitForExit() == 0, "ssh said: \(session.errors)")
        #expect(!session.output.contains("times are UTC"))
    }

    /// A banned account cannot log in over SSH, by key or by password.
    @Test func bannedAccountsStayOut() throws {
        let kit = try SSHKit { $0.settings.admins = ["boss"] }
        let boss = try kit.server.registeredClient("boss")
        let troll = try kit.server.registeredClient("troll")
        troll.send("/key add \(try kit.publicKeyLine)")
        try troll.readUntil { $0.contains("SHA256:") }
        boss.send("/ban troll spam")
        try boss.readUntil { $0.contains("banned") }
        let byKey = try kit.ssh("troll", ["who"], key: true)
        #expect(byKey.waitForExit() == 255)
        let byPassword = try kit.ssh("troll", ["who"], password: "password1")
        #expect(byPassword.waitForExit() == 255)
    }

    /// Several SSH clients at once on the one server queue: each key exchange, login and command completes.
    @Test func severalClientsAtOnce() throws {
        let kit = try SSHKit()
        let watcher = try kit.server.greetedClient()
        let clients = try (1...6).map { number in try kit.ssh("guest\(number)", ["who"]) }
        for client in clients {
            #expect(client.waitForExit() == 0, "ssh said: \(client.errors)")
            #expect(client.output.contains("online"), "output: \(client.output)")
        }
        // The plain door was served meanwhile.
        watcher.send("/who")
        try watcher.readUntil { $0.contains("online") }
    }

    @Test func wrongPasswordsOverSSHCountAgainstTheSameThrottles() throws {
        let log = LogCapture()
        let kit = try SSHKit(log: log) { $0.settings.loginFreeFailures = 1 }
        _ = try kit.server.registeredClient("carol")
        let wrong = try kit.ssh("carol", ["who"], password: "not-her-password", methods: "password")
        #expect(wrong.waitForExit() == 255)
        #expect(wrong.errors.contains("Permission denied"), "ssh said: \(wrong.errors)")
        try log.waitFor("the failure") { $0.contains("event=login_failed") }
        // The failure slows the address on every door: the plain door's next login waits.
        let plain = try kit.server.greetedClient()
        plain.send("/login carol password1")
        try plain.readUntil { $0.contains("throttled") }
    }

    /// `ssh newname@host` is a guest that can register; with a PTY the session is in character mode at the
    /// client's width, and the password is typed hidden.
    @Test func aGuestRegistersInACharacterModeSession() throws {
        let kit = try SSHKit()
        let watcher = try kit.server.greetedClient()
        let client = try kit.ssh("newbie", options: ["-tt"])
        #expect(waitUntil { client.output.contains("there is no account called newbie") }, "output: \(client.output)")
        client.send("/register newbie\r")
        #expect(waitUntil { client.output.contains("Choose a password") }, "output: \(client.output)")
        client.send("secret-pass\r")
        #expect(waitUntil { client.output.contains("Repeat the password") }, "output: \(client.output)")
        client.send("secret-pass\r")
        #expect(waitUntil { client.output.contains("welcome, newbie") }, "output: \(client.output)")
        #expect(!client.output.contains("secret-pass"))
        // Character mode: the server echoes what is typed, key by key.
        client.send("hi from a pty")
        #expect(waitUntil { client.output.contains("hi from a pty") })
        client.send("\r")
        try watcher.readUntil { $0.hasSuffix(" newbie: hi from a pty") }
        // Line mode would leave a raw terminal without echo: refused. JSON mode and back re-enters character
        // mode, so typing shows again.
        client.send("/term line\r")
        #expect(waitUntil { client.output.contains("always in character mode") }, "output: \(client.output)")
        client.send("/mode json\r")
        #expect(waitUntil { client.output.contains(#""mode":"json""#) }, "output: \(client.output)")
        client.send("/mode text\n")
        #expect(waitUntil { client.output.contains("* text mode") }, "output: \(client.output)")
        client.send("echoed again")
        #expect(waitUntil { client.output.contains("echoed again") }, "output: \(client.output)")
        client.send("\u{15}")  // Ctrl-U clears the line
        client.send("/quit\r")
        #expect(client.waitForExit() == 0, "ssh said: \(client.errors)")
    }

    /// The width comes from `pty-req` and follows `window-change`: script(1) gives ssh a real terminal whose
    /// size stty sets, then changes (the kernel sends ssh SIGWINCH).
    @Test func wrappingFollowsTheClientsWindow() throws {
        let kit = try SSHKit()
        let poster = try kit.server.registeredClient("poster")
        let resize = kit.directory.path + "/resize"
        #expect(mkfifo(resize, 0o600) == 0)
        let ssh = [
            "ssh", "-F", "/dev/null", "-p", "\(kit.port)", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
            "-o", "PubkeyAuthentication=no", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=" + kit.knownHosts, "watcher@127.0.0.1",
        ].joined(separator: " ")
        let client = try SSHClientProcess(
            executable: "/usr/bin/script",
            arguments: [
                "-q", "-e", "-c",
                "stty cols 60 rows 30; (read line < \(resize); stty cols 120 rows 40 < /dev/tty) & exec \(ssh)",
                "/dev/null",
            ],
            environment: ["TERM": "vt100"])
        #expect(waitUntil { client.output.contains("new posts appear below") }, "output: \(client.output)")
        let words = (1...20).map { "word\($0)" }.joined(separator: " ")  // 129 characters
        poster.send(words)
        try poster.readUntil { $0.hasPrefix("* posted #") }
        #expect(waitUntil { client.output.contains("word20") }, "output: \(client.output)")
        let narrow = Self.lines(of: client.output, containing: "word")
        #expect(narrow.count >= 3, "\(narrow)")
        #expect(narrow.allSatisfy { $0.count <= 60 }, "\(narrow)")

        try "go\n".write(toFile: resize, atomically: false, encoding: .utf8)
        // The resize reaches the server as window-change; a post after it wraps at 120 columns. The test
        // cannot see when the change has arrived, so it posts until one comes out wide (at most 10 times).
        var wide: [String] = []
        for attempt in 1...10 where !wide.contains(where: { $0.count > 60 }) {
            let before = client.output.count
            poster.send("wide\(attempt) " + words)
            try poster.readUntil { $0.hasPrefix("* posted #") || $0.contains("rate_limited") }
            guard waitUntil(timeout: 3, { String(client.output.dropFirst(before)).contains("word20") }) else {
                continue
            }
            wide = Self.lines(of: String(client.output.dropFirst(before)), containing: "word")
        }
        #expect(wide.contains { $0.count > 60 }, "\(wide)")
        #expect(wide.allSatisfy { $0.count <= 120 }, "\(wide)")
        client.send("/quit\r")
        #expect(client.waitForExit() == 0, "ssh said: \(client.errors)")
    }

    /// A client that sends commands but never reads their replies: the output waits in the channel up to
    /// the output limit, the session stops reading (its input stays in libssh, behind the SSH window), and
    /// the slow-reader timeout closes it, as on the other doors.
    @Test func aClientThatDoesNotReadIsClosedAsASlowReader() throws {
        let log = LogCapture()
        let kit = try SSHKit(log: log) {
            $0.settings.commandRate = 0
            $0.settings.outputLimit = 64 * 1024
            $0.settings.slowReaderTimeout = 1
        }
        let client = try kit.ssh("flooder", options: ["-T"])
        // About 3 KB of help per line: far more than the pipe, ssh's 2 MiB window and the socket hold.
        client.send(String(repeating: "/help\n", count: 3000))
        try log.waitFor(timeout: 30, "the slow reader") { $0.contains("event=slow_reader") }
        try log.waitFor("its disconnect") { $0.contains("event=disconnect") && $0.contains("reason=slow_reader") }
        let others = try kit.ssh("other", ["who"])
        #expect(others.waitForExit() == 0, "ssh said: \(others.errors)")
    }

    /// `ssh -T`, no PTY: plain lines in and out, as over nc, and `/mode json` makes it a bot session.
    @Test func aSessionWithoutAPTYIsLineModeForBots() throws {
        let kit = try SSHKit()
        _ = try kit.server.registeredClient("bot")
        let client = try kit.ssh("bot", password: "password1", options: ["-T"])
        #expect(waitUntil { client.output.contains("new posts appear below") }, "output: \(client.output)")
        client.send("/mode json\n/post beep\n/quit\n")
        #expect(client.waitForExit() == 0, "ssh said: \(client.errors)")
        #expect(client.output.contains(#""command":"post""#), "output: \(client.output)")
        #expect(!client.output.contains("\u{1B}["), "no terminal control without a PTY")
    }

    /// `ssh -T` says no window size: text is wrapped at words to 80 columns, as over nc.
    @Test func aSessionWithoutAPTYIsWrappedTo80Columns() throws {
        let kit = try SSHKit()
        let client = try kit.ssh("newcomer", options: ["-T"])
        #expect(waitUntil { client.output.contains("new posts appear below") }, "output: \(client.output)")
        client.send("/notify\n/quit\n")
        #expect(client.waitForExit() == 0, "ssh said: \(client.errors)")
        let rows = client.output.split(separator: "\r\n").map(String.init)
        #expect(rows.allSatisfy { $0.count <= 80 }, "\(rows)")
        #expect(
            TestClient.joined(rows).contains(
                "! log in to choose your notifications: /login NAME, or /register NAME to join (not_logged_in)"),
            "\(rows)")
    }

    /// Each refusal is logged with what was asked for, as the SSH protocol names it.
    @Test func forwardingAndSubsystemsAreRefused() throws {
        let log = LogCapture()
        let kit = try SSHKit(log: log)
        // -W asks for a direct-tcpip channel straight after login.
        let stdio = try kit.ssh("guest1", options: ["-W", "127.0.0.1:9"])
        #expect(stdio.waitForExit() == 255)
        #expect(stdio.errors.contains("forwarding failed"), "ssh said: \(stdio.errors)")
        try log.waitFor("the refused channel") { Self.refused($0, "channel direct-tcpip") }

        // -R asks for a listening port on the server (a global request).
        let remote = try kit.ssh(
            "guest2", ["who"], options: ["-R", "0:127.0.0.1:9", "-o", "ExitOnForwardFailure=yes"])
        #expect(remote.waitForExit() == 255, "ssh said: \(remote.errors)")
        try log.waitFor("the refused global request") { Self.refused($0, "global tcpip-forward") }

        // -s asks for a subsystem (sftp, say) instead of a shell.
        let subsystem = try kit.ssh("guest3", ["sftp"], options: ["-s"])
        #expect(subsystem.waitForExit() != 0)
        try log.waitFor("the refused subsystem") { Self.refused($0, "request subsystem sftp") }
    }

    /// `ssh -N -L`: nothing is asked of the server until a connection comes to the local port; then a
    /// direct-tcpip channel is, and refused by name.
    @Test func aLocalForwardIsRefusedByName() throws {
        let log = LogCapture()
        let kit = try SSHKit(log: log)
        let localPort = try freeLoopbackPort()
        let forward = try kit.ssh("guest4", options: ["-N", "-L", "127.0.0.1:\(localPort):127.0.0.1:22"])
        var client: BlockingClient?
        _ = waitUntil {
            client = try? BlockingClient(port: localPort)
            return client != nil
        }
        let connected = try #require(client, "ssh never listened on 127.0.0.1:\(localPort): \(forward.errors)")
        try log.waitFor("the refused forward") { Self.refused($0, "channel direct-tcpip") }
        // ssh closes the forwarded connection it could not open on the server.
        _ = try connected.readBytesUntilClosed(timeout: 5)
    }

    /// An `ssh_refused` line whose `what` is `what`.
    static func refused(_ line: String, _ what: String) -> Bool {
        line.contains("event=ssh_refused") && line.contains("what=\"\(what)\"")
    }

    /// A client that connects and never speaks SSH is closed after the login timeout; connections over the
    /// per-address limit are closed at once.
    @Test func silentClientsTimeOutAndLimitsHold() throws {
        let log = LogCapture()
        let kit = try SSHKit(log: log, loginTimeout: 0.5) { $0.settings.maxConnectionsPerIP = 1 }
        let silent = try BlockingClient(port: kit.port)
        try log.waitFor("the timeout") { $0.contains("event=ssh_login_timeout") }
        _ = try silent.readBytesUntilClosed(timeout: 5)

        let first = try BlockingClient(port: kit.port)
        let second = try BlockingClient(port: kit.port)
        _ = try second.readBytesUntilClosed(timeout: 5)
        try log.waitFor("the refusal") { $0.contains("event=refused") && $0.contains("door=ssh") }
        _ = first
    }

    /// Each connection holds itself (its timers, its channels, an answer it waits for) strongly until it
    /// finishes, so that it has no side table (issue 27); once every client has gone, none is left in
    /// memory: a session that quit, one-shot commands (which end their channel before the client leaves),
    /// a failed password, and a client that left before its key exchange.
    @Test func noConnectionIsKeptOnceItsClientHasGone() throws {
        let kit = try SSHKit()
        _ = try kit.server.registeredClient("erin")
        let session = try kit.ssh("visitor", options: ["-T"])
        #expect(waitUntil { session.output.contains("new posts appear below") }, "output: \(session.output)")
        #expect(kit.server.server.stats().sshConnectionsInMemory >= 1, "an open session is counted")

        let post = try kit.ssh("erin", ["post", "counted and let go"], password: "password1")
        #expect(post.waitForExit() == 0, "ssh said: \(post.errors)")
        let wrong = try kit.ssh("erin", ["feed"], password: "not-the-password")
        #expect(wrong.waitForExit() != 0)
        let early = try BlockingClient(port: kit.port)
        _ = early.send("SSH-2.0-test", ending: "\r\n")
        _ = try early.readUntilBytes(Array("SSH-2.0-".utf8))  // accepted: it has a connection object
        early.close()
        session.send("/quit\n")
        #expect(session.waitForExit() == 0)
        try kit.server.waitFor("every SSH connection let go") { $0.sshConnectionsInMemory == 0 }
    }

    /// With `--plaintext-passwords deny` and only an SSH door, the plain port's refusal names the SSH door,
    /// and the password works there.
    @Test func passwordsRefusedOnThePlainPortPointToTheSSHDoor() throws {
        let kit = try SSHKit { $0.settings.plaintextPasswords = false }
        let plain = try kit.server.greetedClient()
        plain.send("/register dana password1")
        let refusal = try plain.readJoined { $0.contains("plaintext_denied") }
        #expect(refusal.contains("SSH on port \(kit.port)"), "\(refusal)")

        // A guest over SSH registers there instead, then runs a command with the password.
        let guest = try kit.ssh("dana", ["register dana password1"])
        #expect(guest.waitForExit() == 0, "ssh said: \(guest.errors) \(guest.output)")
        let post = try kit.ssh("dana", ["post", "safe and sound"], password: "password1")
        #expect(post.waitForExit() == 0, "ssh said: \(post.errors) \(post.output)")
    }

    /// A one-shot command reads nothing from ssh's standard input: what is piped in is never posted, its
    /// early end does not cut the command's lines short, and a command that would prompt fails instead.
    @Test func oneShotCommandsIgnoreStandardInput() throws {
        let kit = try SSHKit()
        let bob = try kit.server.registeredClient("bob")
        bob.send("/key add \(try kit.publicKeyLine)")
        try bob.readUntil { $0.contains("SHA256:") }
        try bob.run("first post")
        let ssh = [
            "ssh", "-F", "/dev/null", "-p", "\(kit.port)", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes", "-i", kit.clientKey, "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=" + kit.knownHosts, "bob@127.0.0.1",
        ].joined(separator: " ")
        let piped = try SSHClientProcess(
            executable: "/bin/sh",
            arguments: ["-c", "echo 'surprise stdin line' | " + ssh + " \"$(printf '/mode json\\nfeed 5')\""],
            environment: [:])
        #expect(piped.waitForExit() == 0, "ssh said: \(piped.errors)")
        #expect(piped.output.contains(#""text":"first post""#), "output: \(piped.output)")
        #expect(!piped.output.contains("surprise"))
        #expect(try bob.run("/feed 5").contains("1 post"))

        let prompting = try SSHClientProcess(
            executable: "/bin/sh", arguments: ["-c", ssh + " passwd < /dev/null"], environment: [:])
        #expect(prompting.waitForExit() == 1, "ssh said: \(prompting.errors)")
        #expect(prompting.output.contains("one-shot command cannot answer"), "output: \(prompting.output)")
    }

    /// Logged in before its greeting (no PTY, so the greeting's posts are fitted to 80 columns), an account
    /// sees the greeting's posts in its own time zone.
    @Test func theGreetingsPostsAreInTheAccountsZone() throws {
        let kit = try SSHKit()
        let alice = try kit.server.registeredClient("alice")
        try alice.run("zone check")
        try alice.run("/tz Asia/Kathmandu")  // UTC+5:45: its minutes differ from UTC's
        let session = try kit.ssh("alice", password: "password1", options: ["-T"])
        #expect(waitUntil { session.output.contains("new posts appear below") }, "output: \(session.output)")
        let greeted = Self.lines(of: session.output, containing: "zone check").first ?? ""
        session.send("/tz UTC\n/feed 1\n/tz Asia/Kathmandu\n/quit\n")
        #expect(session.waitForExit() == 0)
        let inUTC = Self.lines(of: session.output, containing: "zone check").dropFirst().first ?? ""
        #expect(!greeted.isEmpty && !inUTC.isEmpty && greeted != inUTC, "\(greeted) against \(inUTC)")
    }

    /// A guest is told how to make the name its own as `--registration` allows.
    @Test func theGuestNoticeFollowsTheRegistrationMode() {
        #expect(Microblog.guestNotice("ann", registration: .open).hasSuffix("/register ann makes it yours"))
        #expect(Microblog.guestNotice("ann", registration: .invite).contains("/register ann CODE"))
        #expect(Microblog.guestNotice("ann", registration: .closed).contains("made by the operator"))
        for mode in Registration.allCases { #expect(Microblog.guestNotice("ann", registration: mode).count <= 78) }
    }

    static func lines(of output: String, containing word: String) -> [String] {
        output.replacingOccurrences(of: "\u{1B}[K", with: "").split(whereSeparator: \.isNewline).map(String.init)
            .filter { $0.contains(word) }
    }
}
