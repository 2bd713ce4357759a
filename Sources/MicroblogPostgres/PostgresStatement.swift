import CLibPQ
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A statement for a `PostgresConnection`: its SQL, numbered once, and the parameter count. It is prepared on
/// the server by the connection, once per set of parameter types, and deallocated with the session.
///
/// Not thread-safe: owned by the storage queue, like the connection that made it. Holds the connection weakly:
/// once the connection is gone, using the statement throws `StoreError.closed`.
public final class PostgresStatement {
    /// The SQL as given, with `?`; reported as the context of errors.
    let sql: String
    private let numberedSQL: String
    private let parameterCount: Int
    private weak var connection: PostgresConnection?

    init(sql: String, numberedSQL: String, parameterCount: Int, connection: PostgresConnection) {
        self.sql = sql
        self.numberedSQL = numberedSQL
        self.parameterCount = parameterCount
        self.connection = connection
    }

    /// Runs the statement with `values` bound to its `?` in order; any rows are discarded.
    public func run(_ values: [SQLValue] = []) throws {
        PQclear(try execute(values))
    }

    /// Runs the query with `values` and decodes every row with `decode`. The row is valid only during `decode`.
    public func rows<Result>(_ values: [SQLValue] = [], _ decode: (PostgresRow) throws -> Result) throws -> [Result] {
        let result = try execute(values)
        defer { PQclear(result) }
        let count = PQntuples(result)
        var rows: [Result] = []
        rows.reserveCapacity(Int(count))
        for row in 0..<count {
            rows.append(try decode(PostgresRow(result: result, row: row, sql: sql)))
        }
        return rows
    }

    private func execute(_ values: [SQLValue]) throws -> OpaquePointer {
        guard let connection, !connection.isClosed else { throw StoreError.closed }
        guard values.count == parameterCount else {
            throw StoreError.misuse("\(values.count) values bound to \(parameterCount) parameters", context: sql)
        }
        return try connection.run(numberedSQL, values, context: sql)
    }
}

@available(*, unavailable)
extension PostgresStatement: Sendable {}

/// One row of a text-format result, read by column index from 0. Valid only inside the `decode` closure that
/// received it: the result is cleared when `rows` returns.
public struct PostgresRow {
    let result: OpaquePointer
    let row: Int32
    let sql: String

    /// The integer in column `index`; 0 for NULL (or a column that does not exist). A boolean reads as 1 or 0.
    /// Like SQLite, text that is not an integer is converted: a decimal is truncated, anything else is 0.
    public func int64(at index: Int) -> Int64 {
        guard let text = string(at: index) else { return 0 }
        switch text {
        case "t": return 1
        case "f": return 0
        default:
            if let number = Int64(text) { return number }
            return Double(text).flatMap { Int64(exactly: $0.rounded(.towardZero)) } ?? 0
        }
    }

    /// The text in column `index`, or nil for NULL (or a column that does not exist).
    public func string(at index: Int) -> String? {
        // libpq would complain on stderr about a column out of range.
        guard index >= 0, index < Int(PQnfields(result)) else { return nil }
        let column = Int32(index)
        guard PQgetisnull(result, row, column) == 0, let value = PQgetvalue(result, row, column) else { return nil }
        let count = Int(PQgetlength(result, row, column))
        return value.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
    }

    /// The text in column `index`; throws when it is NULL, for NOT NULL columns.
    public func nonNullString(at index: Int) throws -> String {
        guard let text = string(at: index) else { throw StoreError.unexpectedNull(column: index, context: sql) }
        return text
    }
}

@available(*, unavailable)
extension PostgresRow: Sendable {}
