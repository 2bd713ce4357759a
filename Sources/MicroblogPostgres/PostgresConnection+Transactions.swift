import CLibPQ
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Transactions: one at a time on a connection, committed or rolled back as a whole.
extension PostgresConnection {
    /// Runs `body` inside `BEGIN ISOLATION LEVEL READ COMMITTED` … `COMMIT`, and rolls back when `body` or the
    /// commit throws. Unlike SQLite, PostgreSQL takes row locks as statements run, not up front.
    ///
    /// A statement that fails inside the transaction aborts all of it, even when `body` catches the error:
    /// the commit then throws. Nested calls throw instead of silently joining the outer transaction.
    public func transaction<Result>(_ body: () throws -> Result) throws -> Result {
        let connection = try liveConnection()
        guard PQtransactionStatus(connection) == PQTRANS_IDLE else {
            throw StoreError.misuse("a transaction is already open on this connection", context: "BEGIN")
        }
        try execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        do {
            let result = try body()
            try commit(connection)
            return result
        } catch {
            rollback()
            throw error
        }
    }

    private func commit(_ connection: OpaquePointer) throws {
        let result = try check(PQexec(connection, "COMMIT"), on: connection, context: "COMMIT")
        defer { PQclear(result) }
        // COMMIT of an aborted transaction succeeds and answers ROLLBACK: nothing was saved.
        guard let tag = PQcmdStatus(result), String(cString: tag) == "COMMIT" else {
            throw StoreError.postgres(
                sqlstate: "25P02", message: "the transaction was aborted by an earlier error and rolled back",
                context: "COMMIT")
        }
    }

    private func rollback() {
        guard let connection else { return }
        let status = PQtransactionStatus(connection)
        // After a failed COMMIT, or a lost connection, there is nothing to roll back.
        guard status == PQTRANS_INTRANS || status == PQTRANS_INERROR else { return }
        // The caller rethrows the error that caused the rollback; that one says what went wrong.
        PQclear(PQexec(connection, "ROLLBACK"))
    }
}
