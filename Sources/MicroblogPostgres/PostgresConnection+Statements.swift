import CLibPQ
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Statements: cached by their SQL, prepared on the server once per parameter types, run with values.
extension PostgresConnection {
    /// The statement for `sql` (exactly one statement, `?` placeholders), cached by its text. It is prepared on
    /// the server when it first runs with a given set of parameter types.
    public func statement(_ sql: String) throws -> PostgresStatement {
        _ = try liveConnection()
        if let cached = statements[sql] { return cached }
        let (numbered, count) = Self.numberingPlaceholders(sql)
        let statement = PostgresStatement(sql: sql, numberedSQL: numbered, parameterCount: count, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs the statement `numberedSQL` with `values`, preparing it first for their types when needed.
    /// Returns the result, which the caller must `PQclear`.
    func run(_ numberedSQL: String, _ values: [SQLValue], context: String) throws -> OpaquePointer {
        let connection = try liveConnection()
        let name = try preparedName(numberedSQL, types: values.map(Self.parameterType), context: context)
        statementsRun += 1
        var texts: [UnsafeMutablePointer<CChar>?] = []
        texts.reserveCapacity(values.count)
        defer { for text in texts { free(text) } }
        for value in values {
            let text: String
            switch value {
            case .integer(let number): text = String(number)
            case .text(let string): text = string
            case .null:
                texts.append(nil)
                continue
            }
            // Text parameters are C strings, and PostgreSQL's text cannot hold NUL anyway.
            guard !text.utf8.contains(0) else {
                throw StoreError.misuse("text holds a NUL byte, which PostgreSQL cannot store", context: context)
            }
            guard let copy = strdup(text) else { throw StoreError.misuse("out of memory", context: context) }
            texts.append(copy)
        }
        let parameters = texts.map { UnsafePointer($0) }
        let result = try check(
            PQexecPrepared(connection, name, Int32(values.count), parameters, nil, nil, 0), on: connection,
            context: context)
        if let tag = PQcmdStatus(result).map({ String(cString: $0) }),
            ["INSERT", "UPDATE", "DELETE", "MERGE"].contains(where: { tag.hasPrefix($0 + " ") })
        {
            lastChanges = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        }
        return result
    }

    private func preparedName(_ numberedSQL: String, types: [Oid], context: String) throws -> String {
        let key = PreparedKey(sql: numberedSQL, types: types)
        if let name = preparedNames[key] { return name }
        let connection = try liveConnection()
        preparedCount += 1
        let name = "microblog_\(preparedCount)"
        let result = PQprepare(connection, name, numberedSQL, Int32(types.count), types)
        PQclear(try check(result, on: connection, context: context))
        preparedNames[key] = name
        return name
    }

    /// The parameter's declared type: int8 (OID 20) or text (OID 25); 0 lets the server infer a NULL's type.
    private static func parameterType(_ value: SQLValue) -> Oid {
        switch value {
        case .integer: return 20
        case .text: return 25
        case .null: return 0
        }
    }

    struct PreparedKey: Hashable {
        let sql: String
        let types: [Oid]
    }
}
