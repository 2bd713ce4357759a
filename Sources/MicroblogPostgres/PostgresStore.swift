import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// The store on PostgreSQL.
public typealias PostgresStore = SQLStore<PostgresConnection>

extension SQLStore where Database == PostgresConnection {
    /// Connects with `uri` (any connection string libpq accepts) and migrates to the newest schema.
    public convenience init(uri: String) throws {
        let database = try PostgresConnection(uri: uri)
        do {
            try PostgresMigrations.migrate(database)
        } catch {
            database.close()
            throw error
        }
        self.init(database: database)
    }

    /// Connects for reading only, as the operator's tools do: no migration, every transaction read-only.
    /// Throws `unsupportedSchema` unless the database has exactly this build's schema.
    public convenience init(readingOnly uri: String) throws {
        let database = try PostgresConnection(uri: uri)
        do {
            try database.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            let exists =
                try database.statement("SELECT to_regclass('schema_version') IS NOT NULL").rows([]) {
                    $0.int64(at: 0)
                }.first ?? 0
            let version = exists == 1 ? try PostgresMigrations.version(database) : 0
            guard version == PostgresMigrations.newestVersion else {
                throw StoreError.unsupportedSchema(found: version, known: PostgresMigrations.newestVersion)
            }
        } catch {
            database.close()
            throw error
        }
        self.init(database: database)
    }
}
