import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// The store on a SQLite file.
public typealias SQLiteStore = SQLStore<SQLiteDatabase>

extension SQLStore where Database == SQLiteDatabase {
    /// Opens (creating if needed) the database at `path` and migrates it to the newest schema.
    /// Throws `StoreError.unsupportedSchema` for a file written by a newer build.
    public convenience init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws {
        let database = try SQLiteDatabase(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        do {
            // Before migrating, so a file the server cannot write is refused with the reason.
            try database.checkWritable()
            try Migrations.migrate(database)
        } catch {
            database.close()
            throw error
        }
        self.init(database: database)
    }

    /// Opens an existing database for reading only, as the operator's tools do: no migration runs and
    /// nothing is written. Throws `unsupportedSchema` unless the file has exactly this build's schema.
    public convenience init(readingOnly path: String) throws {
        let database = try SQLiteDatabase(path: path, readOnly: true)
        do {
            let version = try Migrations.userVersion(database)
            guard version == Migrations.newestVersion else {
                throw StoreError.unsupportedSchema(found: version, known: Migrations.newestVersion)
            }
        } catch {
            database.close()
            throw error
        }
        self.init(database: database)
    }
}
