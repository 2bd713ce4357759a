import Foundation

/// One attack from the outside (what docs/ and Protocol.md document, sockets, nothing else): what the
/// server must be started with, what it needs set up first (seeding over the wire), and its phases, each
/// a set of threads on an `AttackRun` that loop until the run stops. Figures come from the run's counters.
protocol Attack: Sendable {
    /// The server's doors and limits for this attack. Limits the attack needs lifted (a generous
    /// `--post-rate` to seed) are listed; every other limit keeps its default, as an attacker finds it.
    var needs: AttackNeeds { get }
    /// The names of the attack's phases (`search`: one per connection count), run one after the other.
    var phases: [String] { get }
    /// Sets up what the attack needs (accounts, posts), before the probe starts.
    func prepare(target: AttackTarget) throws
    /// Starts phase `phase`'s threads on `run`.
    func start(phase: Int, target: AttackTarget, run: AttackRun)
}

extension Attack {
    var phases: [String] { ["attack"] }
    func prepare(target: AttackTarget) throws {}
}

struct AttackNeeds {
    var tls = false
    var ssh = false
    /// Arguments beyond the defaults for the attacked server.
    var limits: [String] = probePostRate
    /// When not empty, `prepare` runs on a first server with these arguments, stopped before the attacked
    /// server starts on the same database: seeding goes fast, and the attack meets the default limits.
    var seedLimits: [String] = []
}

/// The attacks by name, built from the command line's options.
enum AttackCatalog {
    static let names = [
        "tls-ffdhe", "tls-flood", "ssh-dh", "export", "search", "ssh-channels", "notify-spam", "log-flood",
    ]

    static let usage = """
        attacks (microblog-bench attack NAME [--binary PATH] [--seconds N] [--calm N] ...):
          tls-ffdhe     TLS 1.3 ClientHellos offering only ffdhe8192, --in-flight N (12) from one address
          tls-flood     X25519 ClientHellos from --addresses N (4), --in-flight N (16) in all, as fast as answered
          ssh-dh        SSH KEXINIT + KEXDH_INIT for diffie-hellman-group18-sha512, --in-flight N (12)
          export        one account with --posts N (20000) and --likes N (20000) (seeded over the wire in
                        at most --seed-seconds S, 120), then --exporters M (10) from one address send
                        /export and never read
          search        --posts N (50000) seeded, then guests looping expensive /search from 4, then 16
                        connections (--connections 4,16)
          ssh-channels  an SSH guest flooding refused session channel opens; then window-change requests
                        from 3 connections
          notify-spam   --accounts N (4) accounts, --sessions N (4) connections each, looping like/unlike
                        and follow/unfollow on one victim's post: the victim's notifications per second
          log-flood     SSH logins with 200 KB user names (--name-bytes N), then throttled failed logins
                        from --connections N (16) on one address: the server's log bytes per second

        attack options:
          --binary PATH       the microblogd to attack (default: the one beside this program; --server too)
          --seconds N         probe seconds during each attack phase (default 15)
          --calm N            probe seconds before the attack (default 3); the same after it
          --warmup N          seconds of attack before the probe starts measuring it (default 1)
          --reply-timeout N   seconds the probe waits for a reply before counting a timeout (default 30)
          --server-args "..." more microblogd arguments, split at spaces (e.g. options a newer build has)
        """

    static func make(_ name: String, number: (String, Int) -> Int, text: (String) -> String?) -> Attack? {
        switch name {
        case "tls-ffdhe":
            return HandshakeFlood(kind: .tlsFFDHE, inFlight: number("--in-flight", 12), addresses: 1)
        case "tls-flood":
            return HandshakeFlood(
                kind: .tlsX25519, inFlight: number("--in-flight", 16), addresses: number("--addresses", 4))
        case "ssh-dh":
            return HandshakeFlood(kind: .sshGroup18, inFlight: number("--in-flight", 12), addresses: 1)
        case "export":
            return ExportAttack(
                posts: number("--posts", 20_000), likes: number("--likes", 20_000),
                exporters: number("--exporters", 10), seedSeconds: Double(number("--seed-seconds", 120)))
        case "search":
            let counts = (text("--connections") ?? "4,16").split(separator: ",").compactMap { Int($0) }
            return SearchAttack(
                posts: number("--posts", 50_000), connectionCounts: counts.isEmpty ? [4, 16] : counts,
                seedSeconds: Double(number("--seed-seconds", 120)))
        case "ssh-channels":
            return SSHChannelAttack(windowChangers: number("--window-changers", 3))
        case "notify-spam":
            return NotifySpamAttack(accounts: number("--accounts", 4), sessions: number("--sessions", 4))
        case "log-flood":
            return LogFloodAttack(
                nameBytes: number("--name-bytes", 200_000), sshThreads: number("--ssh-threads", 4),
                connections: number("--connections", 16))
        default:
            return nil
        }
    }
}
