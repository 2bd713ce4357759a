import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// Both engines' schemas end at the same tables and columns, which `microblogd migrate` copies.
@Suite struct SchemaShapeTests {
    @Test func theSQLiteSchemaHoldsExactlyTheCommunityTables() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let shape = try SchemaShape.columns(store.database)
            #expect(Set(shape.keys) == Set(SchemaShape.communityTables.map(\.table)), "\(shape.keys.sorted())")
            #expect(shape["posts"]?.prefix(4) == ["id", "user_id", "text", "created_at"], "\(shape["posts"] ?? [])")
            #expect(SchemaShape.differences(sqlite: shape, postgres: shape).isEmpty)
        }
    }

    @Test(
        .enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set: the PostgreSQL shape was not checked")
    )
    func bothEnginesEndAtTheSameTablesAndColumns() throws {
        try withDatabasePath { path in
            let sqlite = try SQLiteStore(path: path)
            try withPostgresStore { postgres in
                let sqliteShape = try SchemaShape.columns(sqlite.database)
                let differences = SchemaShape.differences(
                    sqlite: sqliteShape, postgres: try SchemaShape.columns(postgres.database))
                #expect(differences.isEmpty, "\(differences)")

                // A column on one engine only is found.
                try postgres.database.execute("ALTER TABLE posts ADD COLUMN pinned bigint")
                let drifted = SchemaShape.differences(
                    sqlite: sqliteShape, postgres: try SchemaShape.columns(postgres.database))
                #expect(drifted == ["posts: only on SQLite [], only on PostgreSQL [\"pinned\"]"], "\(drifted)")
            }
        }
    }
}
