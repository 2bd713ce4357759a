import CSQLite
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// One prepared statement, in the shape of GRDB's `Statement`: it owns its `sqlite3_stmt` and finalizes it
/// exactly once, in `finalize()` (called by the database on close) or when released.
///
/// Not thread-safe: owned by the storage queue (see StorageWorker), like the `SQLiteDatabase` that prepared it.
/// A cached statement is in use until `run` or `rows` returns, so never nest two uses of the same SQL.
public final class SQLiteStatement {
    /// The SQL text, reported as the context of errors.
    let sql: String
    /// Nil once finalized.
    private var handle: OpaquePointer?
    /// The owning connection, for error codes and messages. Outlived by nothing: the database finalizes its
    /// statements before it closes.
    private let connection: OpaquePointer

    /// Takes ownership of `handle`, prepared on `connection` from `sql`.
    init(handle: OpaquePointer, connection: OpaquePointer, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit {
        finalize()
    }

    /// Releases the prepared statement; later uses throw `StoreError.closed`. Safe to call more than once.
    func finalize() {
        guard let handle else { return }
        sqlite3_finalize(handle)
        self.handle = nil
    }

    /// Binds `values` to the parameters `?1...?n`, in order. The count must match the SQL's parameters.
    public func bind(_ values: [SQLValue]) throws {
        let handle = try liveHandle()
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard values.count == expected else {
            throw StoreError.sqliteMisuse("\(values.count) values bound to \(expected) parameters", context: sql)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .integer(let number): result = sqlite3_bind_int64(handle, index, number)
            case .text(let text): result = Self.bind(text, at: index, of: handle)
            case .null: result = sqlite3_bind_null(handle, index)
            }
            guard result == SQLITE_OK else {
                throw StoreError(connection: connection, result: result, context: sql)
            }
        }
    }

    /// Advances to the next row: true when a row is available, false when the statement is done.
    /// On failure the statement is reset (releasing its locks) and the error is thrown.
    public func step() throws -> Bool {
        let handle = try liveHandle()
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = StoreError(connection: connection, result: result, context: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Rewinds the statement and clears its bindings, so it can run again.
    public func reset() {
        guard let handle else { return }
        // The result repeats the last step's error, which step() already reported.
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds `values`, runs the statement to completion and resets it.
    public func run(_ values: [SQLValue] = []) throws {
        defer { reset() }
        try bind(values)
        while try step() {}
    }

    /// Binds `values`, decodes every row with `decode` and resets the statement, so no read stays open.
    public func rows<Row>(_ values: [SQLValue] = [], _ decode: (SQLiteStatement) throws -> Row) throws -> [Row] {
        defer { reset() }
        try bind(values)
        var rows: [Row] = []
        while try step() {
            rows.append(try decode(self))
        }
        return rows
    }

    /// Column `index` of the current row as it is stored: an integer, text, or NULL (for copying rows).
    public func value(at index: Int) -> SQLValue {
        switch sqlite3_column_type(handle, Int32(index)) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(int64(at: index))
        default: return string(at: index).map { .text($0) } ?? .null
        }
    }

    /// The integer in column `index` (0-based) of the current row; 0 for NULL.
    public func int64(at index: Int) -> Int64 {
        sqlite3_column_int64(handle, Int32(index))
    }

    /// The text in column `index` (0-based) of the current row, or nil for NULL.
    public func string(at index: Int) -> String? {
        let column = Int32(index)
        // sqlite3_column_text returns NULL for a NULL column; String(cString:) on it would crash.
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        // Called after sqlite3_column_text, so it counts the UTF-8 bytes just produced.
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The text in column `index` of the current row; throws when it is NULL, for NOT NULL columns.
    public func nonNullString(at index: Int) throws -> String {
        guard let text = string(at: index) else {
            throw StoreError.sqlite(code: SQLITE_MISMATCH, message: "unexpected NULL in column \(index)", context: sql)
        }
        return text
    }

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw StoreError.closed }
        return handle
    }

    /// Binds the exact UTF-8 bytes of `text`, copied by SQLite (SQLITE_TRANSIENT).
    private static func bind(_ text: String, at index: Int32, of handle: OpaquePointer) -> Int32 {
        // SQLITE_TRANSIENT does not import into Swift.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        var text = text
        return text.withUTF8 { bytes in
            // A NULL pointer would bind SQL NULL, and an empty buffer may have no address: bind "" instead.
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                return sqlite3_bind_text(handle, index, "", 0, transient)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                sqlite3_bind_text64(handle, index, chars, sqlite3_uint64(bytes.count), transient, UInt8(SQLITE_UTF8))
            }
        }
    }
}

@available(*, unavailable)
extension SQLiteStatement: Sendable {}
