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

@Suite struct OptionsTests {
    @Test func defaultsServeOnLoopbackPort4242() throws {
        let options = try Options.parse([])
        #expect(options.action == .serve)
        #expect(options.host == "127.0.0.1")
        #expect(options.port == 4242)
        #expect(options.databasePath == "microblog.db")
    }

    @Test func everyOptionInBothSpellings() throws {
        let options = try Options.parse(["--host", "::1", "--port=0", "--db", "/tmp/x.db"])
        #expect(options.host == "::1")
        #expect(options.port == 0)
        #expect(options.databasePath == "/tmp/x.db")
        #expect(try Options.parse(["--help"]).action == .help)
        #expect(try Options.parse(["--version"]).action == .version)
    }

    @Test func badInputIsExplained() {
        #expect(throws: OptionsError("--port must be a number from 0 to 65535, not 70000")) {
            try Options.parse(["--port", "70000"])
        }
        #expect(throws: OptionsError("--db needs a value")) { try Options.parse(["--db"]) }
        #expect(throws: OptionsError("unknown option --verbose; see --help")) { try Options.parse(["--verbose"]) }
    }

    /// A switch given a value is refused (`--proxy-protocol=no` once turned the PROXY protocol on), and
    /// `--name=` with nothing after it is a missing value, not a reason to take the next argument.
    @Test func aSwitchTakesNoValueAndAnEmptyValueIsMissing() throws {
        #expect(throws: OptionsError("--proxy-protocol takes no value (given --proxy-protocol=no)")) {
            try Options.parse(["--proxy-protocol=no"])
        }
        #expect(throws: OptionsError("--db needs a value")) { try Options.parse(["--db=", "--port", "1"]) }
        #expect(try Options.parse(["--db=a=b.db"]).databasePath == "a=b.db")
    }
}

@Suite("Options: send threads")
struct SendThreadsOptionTests {
    @Test func sendThreadsAreParsedAndChecked() throws {
        #expect(try Options.parse(["--send-threads", "3"]).configuration.sendThreads == 3)
        #expect(try Options.parse([]).sendThreads == ServerConfiguration.defaultSendThreads)
        #expect((1...4).contains(ServerConfiguration.defaultSendThreads))
        for bad in ["0", "65", "two", "-1"] {
            #expect(throws: OptionsError.self) { try Options.parse(["--send-threads", bad]) }
        }
    }
}

@Suite("Options: operations")
struct OperationsOptionTests {
    @Test func statsLoggingAndProxyOptions() throws {
        let defaults = try Options.parse([])
        #expect(defaults.statsInterval == 60 && defaults.logLevel == .info && !defaults.proxyProtocol)
        let options = try Options.parse(["--stats-interval", "0", "--log-level", "DEBUG", "--proxy-protocol"])
        #expect(options.configuration.statsInterval == 0)
        #expect(options.logLevel == .debug)
        #expect(options.configuration.proxyProtocol)
        for bad in [["--stats-interval", "-1"], ["--stats-interval", "soon"], ["--log-level", "loud"]] {
            #expect(throws: OptionsError.self, "\(bad)") { try Options.parse(bad) }
        }
        for line in ["--stats-interval", "--log-level", "--proxy-protocol", "microblogd backup"] {
            #expect(Options.usage.contains(line), "\(line) in --help")
        }
    }
}

@Suite("Options: the TLS door")
struct TLSOptionTests {
    @Test func theTLSPortNeedsACertificateAndAKey() throws {
        let options = try Options.parse([
            "--tls-port", "4243", "--tls-cert", "/etc/c.pem", "--tls-key=/etc/k.pem", "--tls-handshake-timeout", "2.5",
        ])
        #expect(
            options.configuration.tls
                == TLSConfiguration(
                    port: 4243, certificatePath: "/etc/c.pem", keyPath: "/etc/k.pem", handshakeTimeout: 2.5))
        #expect(try Options.parse([]).configuration.tls == nil)
        #expect(try Options.parse(["--tls-port", "0", "--tls-cert", "c", "--tls-key", "k"]).tlsHandshakeTimeout == 10)
        let together = OptionsError("--tls-port, --tls-cert and --tls-key go together: give all three or none")
        #expect(throws: together) { try Options.parse(["--tls-port", "4243"]) }
        #expect(throws: together) { try Options.parse(["--tls-cert", "c", "--tls-key", "k"]) }
        for bad in ["0", "-1", "never", "3601"] {
            #expect(throws: OptionsError.self) { try Options.parse(["--tls-handshake-timeout", bad]) }
        }
        #expect(throws: OptionsError.self) { try Options.parse(["--tls-port", "70000"]) }
        #expect(Options.usage.contains("--tls-port PORT"))
    }

    @Test func sendsGoThroughIOURingUnlessTurnedOff() throws {
        #expect(try Options.parse([]).configuration.ioURing)
        #expect(try Options.parse(["--io-uring", "off"]).configuration.ioURing == false)
        #expect(try Options.parse(["--io-uring", "on"]).configuration.ioURing)
        #expect(throws: OptionsError("--io-uring must be on or off, not yes")) {
            try Options.parse(["--io-uring", "yes"])
        }
        #expect(Options.usage.contains("--io-uring on|off"))
    }

    /// Each option's default ends its own last line of help, before the next option's line.
    @Test func eachTimeoutsDefaultSitsUnderItsOption() {
        let lines = Options.usage.split(separator: "\n").map(String.init)
        func lastLine(of option: String) -> String? {
            guard let index = lines.firstIndex(where: { $0.hasPrefix("  " + option) }) else { return nil }
            let rest = lines[(index + 1)...].prefix { $0.hasPrefix("    ") }
            return (rest.last ?? lines[index]).trimmingCharacters(in: .whitespaces)
        }
        #expect(lastLine(of: "--tls-handshake-timeout S")?.hasSuffix("(default 10)") == true)
        #expect(lastLine(of: "--ssh-login-timeout S")?.hasSuffix("(default 60)") == true)
        #expect(lastLine(of: "--ssh-port PORT")?.contains("default") == false)
        #expect(lastLine(of: "--db PATH")?.hasSuffix("(default microblog.db)") == true)
    }

    @Test func registrationAndTheMessageOfTheDay() throws {
        #expect(try Options.parse([]).configuration.settings.registration == .open)
        #expect(try Options.parse(["--registration", "invite"]).configuration.settings.registration == .invite)
        #expect(try Options.parse(["--registration", "closed"]).configuration.settings.registration == .closed)
        #expect(throws: OptionsError.self) { try Options.parse(["--registration", "secret"]) }
        #expect(try Options.parse([]).configuration.motdPath == nil)
        #expect(try Options.parse(["--motd", "/etc/rules.txt"]).configuration.motdPath == "/etc/rules.txt")
        #expect(throws: OptionsError.self) { try Options.parse(["--motd", ""]) }
        #expect(Options.usage.contains("--registration open|invite|closed"))
        #expect(Options.usage.contains("--motd FILE"))
    }

    @Test func plaintextPasswordsAreAllowedUnlessDeniedWithASecureDoor() throws {
        #expect(try Options.parse([]).configuration.settings.plaintextPasswords)
        let tls = ["--tls-port", "0", "--tls-cert", "c", "--tls-key", "k"]
        #expect(try !Options.parse(tls + ["--plaintext-passwords", "deny"]).configuration.settings.plaintextPasswords)
        #expect(try Options.parse(["--plaintext-passwords", "allow"]).configuration.settings.plaintextPasswords)
        #expect(throws: OptionsError.self) { try Options.parse(["--plaintext-passwords", "deny"]) }
        #expect(throws: OptionsError.self) { try Options.parse(tls + ["--plaintext-passwords", "maybe"]) }
        #expect(Options.usage.contains("--plaintext-passwords allow|deny"))
    }
}

@Suite("Options: the SSH door (work in progress)")
struct SSHOptionTests {
    @Test func theSSHPortTakesAHostKeyFileOrKeepsOneBesideTheDatabase() throws {
        #expect(try Options.parse([]).configuration.ssh == nil)
        #expect(
            try Options.parse(["--ssh-port", "2222", "--db", "/var/mb.db"]).configuration.ssh
                == SSHConfiguration(port: 2222, hostKeyPath: "/var/mb.db.ssh_host_ed25519_key"))
        #expect(
            try Options.parse(["--ssh-port", "0", "--ssh-host-key", "/etc/k"]).configuration.ssh
                == SSHConfiguration(port: 0, hostKeyPath: "/etc/k"))
        #expect(throws: OptionsError("--ssh-host-key needs --ssh-port")) {
            try Options.parse(["--ssh-host-key", "/etc/k"])
        }
        #expect(throws: OptionsError.self) { try Options.parse(["--ssh-port", "0", "--db", "postgresql://h/db"]) }
        #expect(
            try Options.parse(["--ssh-port", "0", "--ssh-host-key", "k", "--db", "postgresql://h/db"]).sshPort == 0)
        #expect(throws: OptionsError.self) { try Options.parse(["--ssh-port", "70000"]) }
        #expect(throws: OptionsError.self) { try Options.parse(["--ssh-host-key", ""]) }
        #expect(
            try Options.parse(["--ssh-port", "2", "--ssh-host-key", "k", "--ssh-login-timeout", "5"]).configuration.ssh
                == SSHConfiguration(port: 2, hostKeyPath: "k", loginTimeout: 5))
        #expect(throws: OptionsError.self) { try Options.parse(["--ssh-port", "2", "--ssh-login-timeout", "0"]) }
        // The SSH door alone is a secure door for --plaintext-passwords deny.
        #expect(
            try Options.parse(["--ssh-port", "2", "--plaintext-passwords", "deny"]).settings.plaintextPasswords == false
        )
        #expect(Options.usage.contains("--ssh-port PORT"))
        #expect(Options.usage.contains("--ssh-host-key FILE"))
    }
}
