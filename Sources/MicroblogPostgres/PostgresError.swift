import CLibPQ
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

// PostgreSQL's failures as the store's `StoreError.failed`: the SQLSTATE is the failure's code, and its
// kind comes from the SQLSTATE.
extension StoreError {
    /// A PostgreSQL failure: its SQLSTATE, the server's (or libpq's) message, and the SQL or step that failed.
    ///
    /// | SQLSTATE                                                        | kind                 |
    /// |-----------------------------------------------------------------|----------------------|
    /// | 23505 unique_violation                                          | unique               |
    /// | 23503 foreign_key_violation                                     | foreignKey           |
    /// | class 08 (connection exception), 57P01–57P03 (server shut down) | fault(.unreachable)  |
    /// | 53100 disk_full                                                 | fault(.full)         |
    /// | 25006 read_only_sql_transaction                                 | fault(.readOnly)     |
    /// | XX001 data_corrupted, XX002 index_corrupted                     | fault(.corrupt)      |
    /// | 55P03 lock_not_available, 40001 serialization, 40P01 deadlock,  | fault(.busy)         |
    /// | 57014 query_canceled (the statement timeout)                    |                      |
    /// | anything else                                                   | fault(.other)        |
    ///
    /// The store turns a unique violation on an account name into `StoreError.nameTaken`; the domain
    /// answers every other store failure with the wire's `storage` error and the fault as its reason.
    /// The 57P0x states are counted as connection failures because the server ends the session with them:
    /// the connection needs `reconnect()`.
    static func postgres(sqlstate: String, message: String, context: String) -> StoreError {
        .failed(
            DatabaseFailure(
                kind: DatabaseFailure.Kind(sqlstate: sqlstate), source: .postgres, code: sqlstate, message: message,
                context: context))
    }

    /// The SQLSTATE when this is a PostgreSQL failure.
    var sqlstate: String? {
        guard case .failed(let failure) = self, failure.source == .postgres else { return nil }
        return failure.code
    }

    /// The error for a command that failed on `connection`: from `result`'s SQLSTATE and message when
    /// the server sent them, else from libpq's own message for the connection.
    ///
    /// A failure without SQLSTATE is libpq's own (the server went away, a send failed); it is reported as
    /// 08006 connection_failure when the connection is no longer usable, otherwise as XX000 internal_error.
    /// No result at all (libpq could not allocate one) counts as a connection failure.
    init(postgresResult result: OpaquePointer?, connection: OpaquePointer?, context: String) {
        let serverState = Self.field(Self.diagnosticSQLState, of: result)
        let serverMessage = Self.field(Self.diagnosticPrimaryMessage, of: result)
        let libpqMessage = Self.trimmed(
            result.flatMap { PQresultErrorMessage($0) } ?? connection.flatMap { PQerrorMessage($0) })
        let message = serverMessage ?? (libpqMessage.isEmpty ? "no result from the server" : libpqMessage)
        let sqlstate: String
        if let serverState {
            sqlstate = serverState
        } else if result == nil || connection.map({ PQstatus($0) == CONNECTION_BAD }) ?? true {
            sqlstate = "08006"
        } else {
            sqlstate = "XX000"
        }
        self = .postgres(sqlstate: sqlstate, message: message, context: context)
    }

    /// A connection that could not be opened (08001, sqlclient_unable_to_establish_sqlconnection), with
    /// libpq's message. When libpq cannot parse `connectionString` its message may quote the string, or a piece
    /// of it; if the string may hold a password, the message is withheld so the password never reaches a log.
    init(postgresConnectFailure connection: OpaquePointer?, connectionString: String) {
        var message = Self.trimmed(connection.flatMap { PQerrorMessage($0) })
        if message.isEmpty {
            message = "out of memory"
        } else if !Self.parses(connectionString), Self.mayHoldPassword(connectionString) {
            message = "malformed connection string (libpq's message is withheld: it may quote the password)"
        }
        self = .postgres(sqlstate: "08001", message: message, context: "connect to PostgreSQL")
    }

    private static func parses(_ connectionString: String) -> Bool {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &error) else {
            if let error { PQfreemem(error) }
            return false
        }
        PQconninfoFree(options)
        return true
    }

    /// True for `password=` (or `?password=`) anywhere, or a URI whose user part is `user:password@`.
    private static func mayHoldPassword(_ connectionString: String) -> Bool {
        if connectionString.lowercased().contains("password") { return true }
        guard let scheme = connectionString.firstRange(of: "://") else { return false }
        let authority = connectionString[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":")
    }

    // PG_DIAG_SQLSTATE and PG_DIAG_MESSAGE_PRIMARY are character literals ('C', 'M'), which Swift does not import.
    private static let diagnosticSQLState = Int32(UInt8(ascii: "C"))
    private static let diagnosticPrimaryMessage = Int32(UInt8(ascii: "M"))

    private static func field(_ code: Int32, of result: OpaquePointer?) -> String? {
        guard let result, let text = PQresultErrorField(result, code) else { return nil }
        let value = String(cString: text)
        return value.isEmpty ? nil : value
    }

    /// libpq's messages end in a newline and sometimes carry several lines; errors read better on one.
    private static func trimmed(_ text: UnsafeMutablePointer<CChar>?) -> String {
        guard let text else { return "" }
        return String(cString: text).split(whereSeparator: \.isNewline).map { String($0).trimmingBlanks() }
            .joined(separator: "; ")
    }
}

extension DatabaseFailure.Kind {
    /// The kind of a SQLSTATE (see `StoreError.postgres`).
    init(sqlstate: String) {
        switch sqlstate {
        case "23505": self = .unique
        case "23503": self = .foreignKey
        case "57P01", "57P02", "57P03": self = .fault(.unreachable)
        case _ where sqlstate.hasPrefix("08"): self = .fault(.unreachable)
        case "53100": self = .fault(.full)
        case "25006": self = .fault(.readOnly)
        case "XX001", "XX002": self = .fault(.corrupt)
        case "55P03", "40001", "40P01", "57014": self = .fault(.busy)
        default: self = .fault(.other)
        }
    }
}
