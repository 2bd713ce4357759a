import CLibPQ
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Time limits: on connecting, on each statement and on a silent connection by default, and on the
/// statements of one operation.
extension PostgresConnection {
    /// Seconds a connection attempt may take (libpq's `connect_timeout`) unless the connection string (or
    /// `PGCONNECT_TIMEOUT`) sets its own: an unreachable server fails the attempt instead of holding the
    /// storage queue for the operating system's TCP timeout (minutes).
    static let defaultConnectTimeoutSeconds = 10
    /// Milliseconds one statement may run (the server's `statement_timeout`) unless the connection string's
    /// `options` (or `PGOPTIONS`) set their own: a hung server, or a lock held forever, fails the statement
    /// (SQLSTATE 57014, a `busy` storage fault) instead of blocking the storage queue and every session's
    /// commands behind it. Schema migrations run without it.
    static let defaultStatementTimeoutMilliseconds = 30_000
    /// TCP keepalives (libpq's `keepalives_idle`, `keepalives_interval`, `keepalives_count`) unless the
    /// connection string sets its own: a connection whose server or path vanished without a word (a
    /// firewall or NAT forgetting it, a machine that lost power) is found dead after about a minute of
    /// silence, not the operating system's two hours. The cluster listener only ever waits, so without
    /// them a node could stay deaf to the others that long.
    static let defaultKeepalives = [
        ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
    ]

    /// The timeouts to pass beside `connectionString`: the defaults it does not set itself. Its own
    /// `options` (a search path, say) are kept, with the statement timeout added to them.
    static func timeouts(for connectionString: String) -> [(String, String)] {
        var given: [String: String] = [:]
        if let options = PQconninfoParse(connectionString, nil) {
            defer { PQconninfoFree(options) }
            var option = options
            while let keyword = option.pointee.keyword {
                if let value = option.pointee.val { given[String(cString: keyword)] = String(cString: value) }
                option += 1
            }
        }
        var parameters: [(String, String)] = []
        if given["connect_timeout"] == nil && getenv("PGCONNECT_TIMEOUT") == nil {
            parameters.append(("connect_timeout", String(defaultConnectTimeoutSeconds)))
        }
        for (keyword, value) in defaultKeepalives where given[keyword] == nil {
            parameters.append((keyword, value))
        }
        let options = given["options"] ?? getenv("PGOPTIONS").map { String(cString: $0) } ?? ""
        if !options.contains("statement_timeout") {
            let timeout = "-c statement_timeout=\(defaultStatementTimeoutMilliseconds)"
            parameters.append(("options", options.isEmpty ? timeout : options + " " + timeout))
        }
        return parameters
    }

    /// Runs `body` with each statement limited to `seconds` (the server's `statement_timeout`, put back to
    /// the connection's own afterwards); a statement stopped by it is thrown as `StoreError.timedOut`.
    public func withTimeLimit<Result>(_ seconds: Double, _ body: () throws -> Result) throws -> Result {
        try execute("SET statement_timeout = \(max(1, Int((seconds * 1000).rounded(.up))))")
        defer { try? execute("RESET statement_timeout") }
        do {
            return try body()
        } catch let error as StoreError where error.sqlstate == "57014" {
            throw StoreError.timedOut
        }
    }
}
