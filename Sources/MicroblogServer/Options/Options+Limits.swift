import MicroblogDomain

/// The numeric limits: each a flag, what it means, and where it goes in `MicroblogSettings`. They are
/// options like the others (`Options.table` holds them, `--help` lists them under their own heading,
/// with each default); the start-up log names those changed.
extension Options {
    /// A numeric limit: its flag, what it means, and where it goes.
    struct Limit: Sendable {
        let flag: String
        let unit: String
        let help: String
        let integer: Bool
        let get: @Sendable (MicroblogSettings) -> Double
        let set: @Sendable (inout MicroblogSettings, Double) -> Void
    }

    static let limits: [Limit] = [
        Limit(
            flag: "--max-connections", unit: "N", help: "connections at once", integer: true,
            get: { Double($0.maxConnections) }, set: { $0.maxConnections = Int($1) }),
        Limit(
            flag: "--max-connections-per-ip", unit: "N", help: "connections at once from one address", integer: true,
            get: { Double($0.maxConnectionsPerIP) }, set: { $0.maxConnectionsPerIP = Int($1) }),
        Limit(
            flag: "--post-rate", unit: "R", help: "posts per second per account", integer: false,
            get: { $0.postRate }, set: { $0.postRate = $1 }),
        Limit(
            flag: "--post-burst", unit: "N", help: "posts an account may make at once after a pause", integer: true,
            get: { $0.postBurst }, set: { $0.postBurst = $1 }),
        Limit(
            flag: "--social-rate", unit: "R", help: "likes and follows (and their undoing) per second per account",
            integer: false, get: { $0.socialRate }, set: { $0.socialRate = $1 }),
        Limit(
            flag: "--social-burst", unit: "N", help: "likes and follows an account may make at once after a pause",
            integer: true, get: { $0.socialBurst }, set: { $0.socialBurst = $1 }),
        Limit(
            flag: "--command-rate", unit: "R", help: "lines per second per connection (more wait their turn)",
            integer: false, get: { $0.commandRate }, set: { $0.commandRate = $1 }),
        Limit(
            flag: "--command-burst", unit: "N", help: "lines a connection may send at once after a pause",
            integer: true, get: { $0.commandBurst }, set: { $0.commandBurst = $1 }),
        Limit(
            flag: "--register-rate", unit: "N", help: "new accounts per hour from one address", integer: false,
            get: { $0.registrationsPerHour }, set: { $0.registrationsPerHour = $1 }),
        Limit(
            flag: "--login-failures", unit: "N", help: "failed logins per name or address before delays start",
            integer: true, get: { Double($0.loginFreeFailures) }, set: { $0.loginFreeFailures = Int($1) }),
        Limit(
            flag: "--password-checks", unit: "N",
            help: "logins and registrations per minute from one address (a sixth of it per connection)",
            integer: false, get: { $0.passwordChecksPerMinute }, set: { $0.passwordChecksPerMinute = $1 }),
        Limit(
            flag: "--handshake-rate", unit: "N",
            help: "TLS handshakes and SSH key exchanges per minute from one address",
            integer: false, get: { $0.handshakesPerMinute }, set: { $0.handshakesPerMinute = $1 }),
        Limit(
            flag: "--search-rate", unit: "N",
            help: "searches per minute from one address (a third of it per connection)",
            integer: false, get: { $0.searchesPerMinute }, set: { $0.searchesPerMinute = $1 }),
        Limit(
            flag: "--idle-timeout", unit: "S",
            help: "seconds before closing a session that sends nothing and watches nothing",
            integer: false, get: { $0.idleTimeout }, set: { $0.idleTimeout = $1 }),
        Limit(
            flag: "--prompt-timeout", unit: "S", help: "seconds a password prompt waits", integer: false,
            get: { $0.promptTimeout }, set: { $0.promptTimeout = $1 }),
        Limit(
            flag: "--output-limit", unit: "BYTES",
            help: "output buffered per connection; live posts beyond are dropped",
            integer: true, get: { Double($0.outputLimit) }, set: { $0.outputLimit = Int($1) }),
        Limit(
            flag: "--slow-reader-timeout", unit: "S", help: "seconds a connection may sit at its output limit unread",
            integer: false, get: { $0.slowReaderTimeout }, set: { $0.slowReaderTimeout = $1 }),
    ]

    /// The limits that differ from the defaults, as `--flag value` pairs, for the start-up log.
    public var changedLimits: [String] {
        let defaults = MicroblogSettings()
        return Self.limits.compactMap { limit in
            limit.get(settings) == limit.get(defaults) ? nil : "\(limit.flag) \(Self.format(limit.get(settings)))"
        }
    }
}

extension Option {
    /// A limit as an option: a number, 0 or more (whole for some), at most 10^12.
    init(limit: Options.Limit) {
        let defaults = MicroblogSettings()
        self.init(
            name: limit.flag,
            argument: .value(placeholder: limit.unit) { options, text throws(OptionsError) in
                guard let number = Double(text), number >= 0, number.isFinite,
                    !limit.integer || number == number.rounded(), number <= 1e12
                else {
                    let kind = limit.integer ? "a whole number" : "a number"
                    throw OptionsError("\(limit.flag) must be \(kind), 0 or more, not \(text)")
                }
                limit.set(&options.settings, number)
            },
            help: [limit.help], defaultValue: Options.format(limit.get(defaults)), section: .limits)
    }
}
