import CSQLite
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

extension SQLiteDatabase {
    /// Copies every page of `source`'s main database into this one with SQLite's online backup API, in one
    /// step, that is one read transaction of `source`: the copy holds exactly what was committed when it
    /// began. Waits while the source is locked. Returns how many pages were copied.
    public func copyPages(from source: SQLiteDatabase) throws -> Int {
        guard let handle, let sourceHandle = source.handle else { throw StoreError.closed }
        guard let backup = sqlite3_backup_init(handle, "main", sourceHandle, "main") else {
            throw StoreError(connection: handle, result: sqlite3_errcode(handle), context: "backup")
        }
        var result: Int32
        repeat {
            // -1: every page in one step, under one read transaction of the source.
            result = sqlite3_backup_step(backup, -1)
            if result == SQLITE_BUSY || result == SQLITE_LOCKED { sqlite3_sleep(50) }
        } while result == SQLITE_OK || result == SQLITE_BUSY || result == SQLITE_LOCKED
        let pages = Int(sqlite3_backup_pagecount(backup))
        let finished = sqlite3_backup_finish(backup)
        guard result == SQLITE_DONE, finished == SQLITE_OK else {
            throw StoreError(connection: nil, result: result == SQLITE_DONE ? finished : result, context: "backup")
        }
        return pages
    }
}
