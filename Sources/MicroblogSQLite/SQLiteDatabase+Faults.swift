import CSQLite
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// A database the server cannot write must be said at start, not discovered by every post; and a fault
// that clears while the server runs must not need a restart.
extension SQLiteDatabase {
    /// Throws a SQLite failure with code SQLITE_READONLY (or the write's own failure) unless this
    /// connection can write the file: SQLite opens a file it may not write read-only without a word (a
    /// file, or its `-wal` or `-shm`, the server's user may only read), so this asks SQLite, then writes
    /// for real (`BEGIN IMMEDIATE`, the schema version set to itself, `COMMIT`), which also needs the
    /// write-ahead log. The message names the file and says what to check.
    func checkWritable() throws {
        guard let handle else { throw StoreError.closed }
        let context = "check that \(path) can be written"
        if sqlite3_db_readonly(handle, "main") == 1 {
            throw StoreError.sqlite(
                code: SQLITE_READONLY,
                message: "SQLite opened \(path) read-only: \(Self.unwritableFiles(path))", context: context)
        }
        do {
            try transaction {
                let version = try statement("PRAGMA user_version").rows([]) { $0.int64(at: 0) }.first ?? 0
                try execute("PRAGMA user_version = \(version)")
            }
        } catch let error as StoreError {
            throw Self.described(afterFailure(error), context: context)
        }
    }

    /// Adds the file system's state to an I/O error (SQLite says only "disk I/O error", and its errno is
    /// not reliable by then): read-only when a file cannot be created next to the database (EROFS), full
    /// when a page cannot be written there (ENOSPC).
    ///
    /// Nothing needs repair after a fault that clears: SQLite makes a connection read-only only when it
    /// opens it (which `checkWritable` refuses at start), and a full disk, a lock or an I/O error fails one
    /// statement, so the next one, after the fault has cleared, succeeds on the same connection.
    public func afterFailure(_ error: StoreError) -> StoreError {
        guard case (let code, let message, let context)? = error.sqliteParts else { return error }
        switch code & 0xff {
        case SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_FULL:
            guard let cause = fileSystemFault() else { return error }
            return .sqlite(code: code, message: "\(message) (\(cause))", context: context)
        default:
            return error
        }
    }

    /// Which of the file, its `-wal` and `-shm` and its directory this process may not write, in words.
    static func unwritableFiles(_ path: String) -> String {
        let directory = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) : "."
        let candidates = [path, path + "-wal", path + "-shm", directory.isEmpty ? "/" : directory]
        let unwritable = candidates.filter { candidate in
            access(candidate, F_OK) == 0 && access(candidate, W_OK) != 0
        }
        let user = "user \(geteuid())"
        guard !unwritable.isEmpty else {
            return "the server's \(user) cannot write it (check the file system and the file's permissions)"
        }
        return "the server's \(user) cannot write \(unwritable.joined(separator: ", ")) (check their permissions)"
    }

    /// A `-wal` or `-shm` file left by a start that could only read the database has that start's mode
    /// (SQLite copies the database file's, 0400 say) and keeps every later start read-only even after the
    /// database file's mode is put right. When this process can write the database file and owns such a
    /// file, it gives it the database file's mode. (Called before opening.)
    static func repairSidecarModes(_ path: String) {
        var database = stat()
        guard stat(path, &database) == 0, access(path, W_OK) == 0 else { return }
        for sidecar in [path + "-wal", path + "-shm"] {
            var info = stat()
            guard stat(sidecar, &info) == 0, info.st_uid == geteuid(), access(sidecar, W_OK) != 0 else { continue }
            chmod(sidecar, database.st_mode & 0o777)
        }
    }

    /// Why the database's directory cannot take a page, in errno's words, or nil when it can.
    private func fileSystemFault() -> String? {
        let probe = path + "-probe"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            return code == EROFS || code == ENOSPC ? String(cString: strerror(code)) : nil
        }
        defer {
            Glibc.close(fd)
            unlink(probe)
        }
        let page = [UInt8](repeating: 0, count: 4096)
        let written = page.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            let code = errno
            return code == EROFS || code == ENOSPC ? String(cString: strerror(code)) : nil
        }
        return nil
    }

    private static func described(_ error: StoreError, context: String) -> StoreError {
        guard case (let code, let message, _)? = error.sqliteParts else { return error }
        return .sqlite(code: code, message: message, context: context)
    }
}
