import Testing

@testable import MicroblogDomain
@testable import MicroblogModel
@testable import MicroblogProtocol
@testable import MicroblogServer
@testable import MicroblogSupport
@testable import MicroblogTransport

/// `microblogd --help`, every option's error and every option's effect, recorded before `Options.parse`
/// walked one table of options (issue 24), so the table changes none of them. `--help` changed since on
/// purpose only: each default shown the same way, last, and every line wrapped to 80 columns (issue 25; `OptionsDocumentTests` keeps the docs
/// saying the same).
@Suite("Options: the table")
struct OptionsTableTests {
    /// Every line of `--help` and of the subcommands' help fits an 80-column terminal (issue 25).
    @Test func helpFitsEightyColumns() {
        for text in [Options.usage, Options.toolUsage] {
            for line in text.split(separator: "\n") {
                #expect(line.count <= 80, "\(line.count) columns: \(line)")
            }
        }
    }

    @Test func helpIsAsRecorded() {
        let lines = Options.usage.split(separator: "\n", omittingEmptySubsequences: false)
        let recorded = Self.recordedUsage.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == recorded.count)
        for (index, (line, want)) in zip(lines, recorded).enumerated() where line != want {
            Issue.record("--help line \(index + 1):\n  got:  \(line)\n  want: \(want)")
        }
    }

    /// Each option named in `--help` is one `parse` knows.
    @Test func everyOptionInTheHelpIsParsed() {
        let named = Options.usage.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  --") else { return nil }
            return line.dropFirst(2).split(separator: " ").first.map(String.init)
        }
        #expect(named.count == 43)
        for option in named {
            do {
                _ = try Options.parse([option, "1"])
            } catch {
                #expect(error.description != "unknown option \(option); see --help")
            }
        }
    }

    /// One entry per option: no spelling names two.
    @Test func eachSpellingNamesOneOption() {
        let spellings = Options.table.flatMap { [$0.name] + $0.aliases }
        #expect(Set(spellings).count == spellings.count)
        #expect(Options.table.count == 43 && spellings.contains("-h"))
    }

    @Test func everyOptionSetsWhatItNames() throws {
        let tls = ["--tls-port", "4243", "--tls-cert", "c.pem", "--tls-key", "k.pem"]
        let options = try Options.parse(
            [
                "--host=::", "--port", "0", "--db", "x.db", "--admin", "root_1", "--admin=ops", "--registration",
                "invite",
                "--motd", "rules.txt", "--proxy-protocol", "--tls-handshake-timeout", "0.1", "--ssh-port=2222",
                "--ssh-host-key", "hk", "--ssh-login-timeout", "3600", "--plaintext-passwords", "deny",
                "--stats-interval", "86400", "--log-level", "warn", "--send-threads", "64", "--io-uring", "off",
                "--max-connections", "5", "--post-rate=0.5", "--output-limit", "0",
            ] + tls)
        #expect(options.action == .serve)
        #expect(options.host == "::" && options.port == 0 && options.databasePath == "x.db")
        #expect(options.settings.admins == ["root_1", "ops"] && options.settings.registration == .invite)
        #expect(options.motdPath == "rules.txt" && options.proxyProtocol)
        #expect(options.tlsPort == 4243 && options.tlsCertificate == "c.pem" && options.tlsKey == "k.pem")
        #expect(options.tlsHandshakeTimeout == 0.1)
        #expect(options.sshPort == 2222 && options.sshHostKey == "hk" && options.sshLoginTimeout == 3600)
        #expect(!options.settings.plaintextPasswords && options.statsInterval == 86_400)
        #expect(options.logLevel == .warn && options.sendThreads == 64 && !options.ioURing)
        #expect(options.settings.maxConnections == 5 && options.settings.postRate == 0.5)
        #expect(options.settings.outputLimit == 0)
        #expect(options.changedLimits == ["--max-connections 5", "--post-rate 0.5", "--output-limit 0"])
        #expect(try Options.parse(["-h"]).action == .help)
        #expect(try Options.parse(["--version", "--port", "1"]).action == .version)
        // The last of an option given twice wins; --help does not stop the rest being checked.
        #expect(try Options.parse(["--port", "1", "--port", "2"]).port == 2)
        #expect(throws: OptionsError("--port must be a number from 0 to 65535, not x")) {
            try Options.parse(["--help", "--port", "x"])
        }
    }

    @Test func everyErrorIsAsRecorded() {
        for (arguments, message) in Self.recordedErrors {
            #expect(throws: OptionsError(message), "\(arguments)") { try Options.parse(arguments) }
        }
    }

    static let recordedErrors: [([String], String)] = [
        (["--verbose"], "unknown option --verbose; see --help"),
        (["serve"], "unknown option serve; see --help"),
        (["--host"], "--host needs a value"),
        (["--host="], "--host needs a value"),
        (["--host", ""], "--host needs an address"),
        (["--port", "70000"], "--port must be a number from 0 to 65535, not 70000"),
        (["--port=1=2"], "--port must be a number from 0 to 65535, not 1=2"),
        (["--db"], "--db needs a value"),
        (["--db", ""], "--db needs a file path"),
        (["--admin", "x"], "--admin needs an account name (3 to 20 of A-Z a-z 0-9 _), not x"),
        (["--registration", "secret"], "--registration must be open, invite or closed, not secret"),
        (["--motd", ""], "--motd needs a file"),
        (["--plaintext-passwords", "maybe"], "--plaintext-passwords must be allow or deny, not maybe"),
        (["--tls-port", "x"], "--tls-port must be a number from 0 to 65535, not x"),
        (["--tls-cert", ""], "--tls-cert needs a file path"),
        (["--tls-key", ""], "--tls-key needs a file path"),
        (["--tls-handshake-timeout", "0"], "--tls-handshake-timeout must be 0.1 to 3600 seconds, not 0"),
        (["--tls-handshake-timeout", "inf"], "--tls-handshake-timeout must be 0.1 to 3600 seconds, not inf"),
        (["--ssh-port", "-1"], "--ssh-port must be a number from 0 to 65535, not -1"),
        (["--ssh-host-key", ""], "--ssh-host-key needs a file path"),
        (["--ssh-login-timeout", "0.5"], "--ssh-login-timeout must be 1 to 3600 seconds, not 0.5"),
        (["--stats-interval", "0.5"], "--stats-interval must be 0 (none) or 1 to 86400 seconds, not 0.5"),
        (["--stats-interval", "nan"], "--stats-interval must be 0 (none) or 1 to 86400 seconds, not nan"),
        (["--log-level", "loud"], "--log-level must be error, warn, info or debug, not loud"),
        (["--send-threads", "0"], "--send-threads must be a whole number from 1 to 64, not 0"),
        (["--io-uring", "yes"], "--io-uring must be on or off, not yes"),
        (["--max-connections", "1.5"], "--max-connections must be a whole number, 0 or more, not 1.5"),
        (["--max-connections"], "--max-connections needs a value"),
        (["--post-rate", "-1"], "--post-rate must be a number, 0 or more, not -1"),
        (["--post-rate", "x"], "--post-rate must be a number, 0 or more, not x"),
        (["--output-limit", "2e12"], "--output-limit must be a whole number, 0 or more, not 2e12"),
        (["--tls-port", "1"], "--tls-port, --tls-cert and --tls-key go together: give all three or none"),
        (["--ssh-host-key", "k"], "--ssh-host-key needs --ssh-port"),
        (
            ["--ssh-port", "1", "--db", "postgresql://h/d"],
            "--ssh-port with a PostgreSQL database needs --ssh-host-key: there is no file to keep it beside"
        ),
        (
            ["--plaintext-passwords", "deny"],
            "--plaintext-passwords deny needs a secure door (--tls-port or --ssh-port), or nobody could log in"
        ),
    ]

    static let recordedUsage = """
        usage: microblogd [options]

        A microblog server you use with telnet or nc.

        options:
          --host ADDRESS      address to listen on; 0.0.0.0 or :: for all (default
                              127.0.0.1)
          --port PORT         TCP port; 0 picks a free port (default 4242)
          --db PATH           SQLite database file, created if missing, or a PostgreSQL
                              database shared by several nodes: postgresql://...
                              (default microblog.db)
          --admin NAME        make account NAME an administrator (repeatable)
          --registration open|invite|closed  who may /register: anyone; with a one-time
                              code from a member's /invite; or nobody, and accounts are
                              made with microblogd account create (default open)
          --motd FILE         the community's rules or message of the day, shown in the
                              greeting: at most 20 lines of 80 columns, the "* " before
                              each included; SIGHUP reads it again
          --proxy-protocol    every connection to --port starts with a PROXY v1 header
                              (HAProxy send-proxy, stunnel protocol = proxy); only when
                              the proxy alone can reach the port; the TLS port takes no
                              header
          --tls-port PORT     also serve over TLS on PORT (same --host); needs
                              --tls-cert and --tls-key
          --tls-cert FILE     PEM certificate chain for the TLS port (e.g. Let's Encrypt
                              fullchain.pem)
          --tls-key FILE      PEM private key for the TLS port (e.g. privkey.pem);
                              SIGHUP reloads both
          --tls-handshake-timeout S  seconds a TLS client has to finish its handshake
                              (default 10)
          --ssh-port PORT     also serve over SSH on PORT (same --host): ssh -p PORT
                              NAME@HOST
          --ssh-host-key FILE Ed25519 host key for the SSH port, created if missing
                              (default beside --db)
          --ssh-login-timeout S  seconds an SSH client has to log in and start a session
                              (default 60)
          --http-port PORT    also serve the web door (pages, feeds, live updates) on
                              PORT
          --web-index allow|deny  allow: search engines may index the web door's pages
                              (robots.txt, noindex) (default deny)
          --web-url URL       the web door's address as people reach it (behind a proxy:
                              https://...); feeds link to it (default http://HOST:PORT)
          --web-trusted-proxy ADDRESS,...  the reverse proxies in front of the web door
                              (nginx, HAProxy, Caddy): their X-Forwarded-For names each
                              request's client, and they are not held to
                              --max-connections-per-ip
          --metrics-allow ADDRESS,...  client addresses the web door's /metrics
                              (Prometheus) answers; none: off (default 127.0.0.1,::1)
          --plaintext-passwords allow|deny  deny: /login and /register only over TLS or
                              SSH; the plain port stays open for reading and watching
                              (default allow)
          --stats-interval S  seconds between stats lines in the log; 0: none (default
                              60)
          --log-level LEVEL   error, warn, info or debug; debug adds posts' text
                              (default info)
          --send-threads N    threads sending a post to many connections at once; 2 on
                              this machine (default one per processor, at most 4)
          --io-uring on|off   send through io_uring, many sends per system call, when
                              the kernel allows it; off: one send call each (default on)
          --help              show this help
          --version           show the version

        limits (0 means unlimited or never):
          --max-connections N        connections at once (default 10000)
          --max-connections-per-ip N connections at once from one address (default 32)
          --post-rate R              posts per second per account (default 1)
          --post-burst N             posts an account may make at once after a pause
                                     (default 10)
          --social-rate R            likes and follows (and their undoing) per second
                                     per account (default 1)
          --social-burst N           likes and follows an account may make at once after
                                     a pause (default 20)
          --command-rate R           lines per second per connection (more wait their
                                     turn) (default 20)
          --command-burst N          lines a connection may send at once after a pause
                                     (default 100)
          --register-rate N          new accounts per hour from one address (default 10)
          --login-failures N         failed logins per name or address before delays
                                     start (default 3)
          --password-checks N        logins and registrations per minute from one
                                     address (a sixth of it per connection) (default 60)
          --handshake-rate N         TLS handshakes and SSH key exchanges per minute
                                     from one address (default 120)
          --search-rate N            searches per minute from one address (a third of it
                                     per connection) (default 30)
          --idle-timeout S           seconds before closing a session that sends nothing
                                     and watches nothing (default 3600)
          --prompt-timeout S         seconds a password prompt waits (default 60)
          --output-limit BYTES       output buffered per connection; live posts beyond
                                     are dropped (default 262144)
          --slow-reader-timeout S    seconds a connection may sit at its output limit
                                     unread (default 60)

        subcommands (see microblogd backup --help):
          microblogd backup --db PATH OUT [--force]
          microblogd check --db PATH
          microblogd export --db PATH [--user NAME] [--since ID] [--format jsonl|twtxt]
          microblogd migrate --from PATH.sqlite --to postgresql://...
          microblogd account create NAME --db PATH

        Once listening it prints "listening on HOST:PORT" on standard output.
        Logs go to standard error. Stop it with Ctrl-C (SIGINT) or SIGTERM.
        """
}
