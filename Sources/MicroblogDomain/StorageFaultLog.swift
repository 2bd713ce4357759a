import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

extension Microblog {
    /// Logs a store failure as one `event=storage` line: the database (a file, or a PostgreSQL location
    /// without its password), the kind of fault, the engine's code (SQLite's extended result code,
    /// PostgreSQL's SQLSTATE) and message, and what failed. Rate-limited by
    /// kind and command, so a fault that every post hits cannot flood the log; the count of lines left
    /// out is written with the next one (see `LogRateLimiter`).
    func logStorageFault(_ error: StoreError, command: String, conn: Int? = nil) {
        var pairs: [(String, String)] = []
        if let conn { pairs.append(("conn", String(conn))) }
        pairs += [
            ("command", command), ("db", databaseName), ("reason", error.fault.rawValue),
            ("code", String(error.faultCode)), ("message", error.faultMessage), ("error", error.description),
        ]
        log.log(.error, "storage", pairs: pairs, limitKey: "storage \(error.fault.rawValue) \(command)")
    }
}
