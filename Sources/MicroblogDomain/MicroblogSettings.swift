import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// The server's limits and settings, with their documented defaults (docs/operations.md, Protocol.md).
/// For every rate, limit, count and timeout below, 0 means unlimited (or never).
public struct MicroblogSettings: Sendable, Equatable {
    /// Longest input line in bytes, without its terminator.
    public var maxLineBytes = 4096
    /// Posts shown on connect.
    public var greetingPosts = 10
    /// Lines a session may have waiting behind a command in flight before the server stops reading
    /// from it (the kernel's buffers then push back on the client).
    public var maxQueuedLines = 256
    /// Password hashes computed at once; more wait their turn.
    public var hashingConcurrency = 2

    /// Connections at once, and from one IP address.
    public var maxConnections = 10_000
    public var maxConnectionsPerIP = 32

    /// Posts per second per account, and how many may come at once after a pause.
    public var postRate = 1.0
    public var postBurst = 10.0
    /// Likes, unlikes, follows and unfollows per second per account, and how many may come at once after
    /// a pause (each may notify someone).
    public var socialRate = 1.0
    public var socialBurst = 20.0
    /// Seconds within which a like of the same post, or a follow, by the same person notifies its
    /// recipient once, however often it is undone and done again.
    public var repeatNotificationWindow = 86_400.0
    /// Lines per second per connection, and the burst; lines beyond wait (they are not refused).
    public var commandRate = 20.0
    public var commandBurst = 100.0
    /// Accounts created per hour from one IP address.
    public var registrationsPerHour = 10.0
    /// Failed logins (per account and per address) before each attempt must wait: 1 s, doubling, at most
    /// `loginMaxDelay` seconds.
    public var loginFreeFailures = 3
    public var loginMaxDelay = 300.0
    /// Password checks (every login attempt and registration hashes once) per minute from one address;
    /// one connection may use a sixth of that (at least 1). Bursts of that many pass at once.
    public var passwordChecksPerMinute = 60.0
    /// TLS handshakes and SSH key exchanges per minute from one address (each connection to a secure door
    /// starts one); bursts of that many pass at once. Beyond it, the connection is closed at once.
    public var handshakesPerMinute = 120.0
    /// Searches per minute from one address, guests and members alike; one connection may use a third of
    /// it (at least 1). Bursts of that many pass at once.
    public var searchesPerMinute = 30.0
    /// Passwords may be typed on the plain port (`--plaintext-passwords allow`); when false, `/login` and
    /// `/register` work only through a secure door, and the plain port is for watching and reading.
    public var plaintextPasswords = true

    /// Seconds after which a session that neither watches the live feed nor sends anything is closed.
    /// A watching session is never closed for being idle.
    public var idleTimeout = 3600.0
    /// Seconds a password prompt waits for its answer.
    public var promptTimeout = 60.0
    /// Bytes of output buffered per connection. Past it, live posts for that session are dropped (and
    /// counted, and reported once it catches up) and its commands wait.
    public var outputLimit = 256 * 1024
    /// Seconds a connection may sit at its output limit without the client reading anything before it
    /// is closed.
    public var slowReaderTimeout = 60.0

    /// The kernel's send buffer per connection in bytes (SO_SNDBUF); 0 keeps the system's default.
    /// Tests shrink it so that a client that does not read reaches the server's own limit quickly.
    public var socketSendBuffer = 0

    /// How long SQLite waits for a lock held by another process before giving up, in milliseconds.
    public var busyTimeoutMilliseconds: Int32 = 5000

    /// Offer character mode to telnet clients (see Protocol.md); tests of line mode turn it off.
    public var characterModeOffer = true

    /// The exact names of the administrators (`--admin NAME`): rights go to the account of exactly that
    /// name, never to a look-alike that shares its name key (`B0SS` is not `boss`).
    public var admins: Set<String> = []
    /// True when `user` is an administrator: its name is exactly one of `admins`.
    func isAdmin(_ user: User) -> Bool { admins.contains(user.name) }
    /// The `repeatSince` of a like or follow made `now`: one like it within the window notifies no more.
    func repeatSince(_ now: Timestamp) -> Timestamp? {
        guard repeatNotificationWindow > 0 else { return nil }
        return Timestamp(milliseconds: now.milliseconds - Int64(repeatNotificationWindow * 1000))
    }
    /// Seconds a deleted account's name (and its look-alikes) stays held, so nobody takes it over at once.
    public var deletedNameHold = 30.0 * 86_400
    /// Who may create an account over the wire (`--registration`).
    public var registration = Registration.open

    /// The most accounts `/who` lists, so its answer is bounded however many are online (fixed: tests
    /// lower it).
    var whoListLimit = 200

    public var serverName = "microblogd"
    public var version = "0.1.0"

    public init() {}

    /// The per-connection share of `passwordChecksPerMinute`.
    var passwordChecksPerConnectionPerMinute: Double {
        passwordChecksPerMinute > 0 ? max(1, (passwordChecksPerMinute / 6).rounded(.down)) : 0
    }

    /// The per-connection share of `searchesPerMinute`.
    var searchesPerConnectionPerMinute: Double {
        searchesPerMinute > 0 ? max(1, (searchesPerMinute / 3).rounded(.down)) : 0
    }

    /// Every limit lifted: for benchmarks and load tests, never for production.
    public static var unlimited: MicroblogSettings {
        var settings = MicroblogSettings()
        settings.maxConnections = 0
        settings.maxConnectionsPerIP = 0
        settings.postRate = 0
        settings.socialRate = 0
        settings.commandRate = 0
        settings.registrationsPerHour = 0
        settings.loginFreeFailures = 0
        settings.passwordChecksPerMinute = 0
        settings.handshakesPerMinute = 0
        settings.searchesPerMinute = 0
        settings.idleTimeout = 0
        settings.outputLimit = 0
        return settings
    }
}
