import MicroblogModel
import MicroblogStorage
import MicroblogSupport

extension SchemaShape {
    /// The community's tables on a PostgreSQL database (its current schema), each with its stored
    /// columns in order.
    public static func columns(_ database: PostgresConnection) throws -> [String: [String]] {
        let rows = try database.statement(
            """
            SELECT columns.table_name, columns.column_name FROM information_schema.columns AS columns
            JOIN information_schema.tables AS tables
                ON tables.table_schema = columns.table_schema AND tables.table_name = columns.table_name
            WHERE columns.table_schema = current_schema() AND tables.table_type = 'BASE TABLE'
                AND columns.is_generated = 'NEVER'
            ORDER BY columns.table_name, columns.ordinal_position
            """
        ).rows([]) { (try $0.nonNullString(at: 0), try $0.nonNullString(at: 1)) }
        return Dictionary(grouping: rows, by: \.0).mapValues { $0.map(\.1) }.filter {
            !postgresOnlyTables.contains($0.key)
        }
    }
}
