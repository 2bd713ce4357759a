import MicroblogModel
import MicroblogStorage
import MicroblogSupport

extension SchemaShape {
    /// The community's tables on a SQLite database, each with its columns in order.
    public static func columns(_ database: SQLiteDatabase) throws -> [String: [String]] {
        let rows = try database.statement(
            """
            SELECT tables.name, columns.name FROM sqlite_schema AS tables, pragma_table_info(tables.name) AS columns
            WHERE tables.type = 'table' AND tables.name NOT LIKE 'sqlite%' AND tables.name NOT LIKE 'posts_fts%'
                AND tables.name NOT LIKE 'posts_trigram%' AND tables.name != 'search_index'
            ORDER BY tables.name, columns.cid
            """
        ).rows([]) { (try $0.nonNullString(at: 0), try $0.nonNullString(at: 1)) }
        return Dictionary(grouping: rows, by: \.0).mapValues { $0.map(\.1) }
    }
}
