import MicroblogDomain
import MicroblogFanout
import MicroblogModel
import MicroblogPostgres
import MicroblogProtocol
import MicroblogSQLite
import MicroblogSSH
import MicroblogStorage
import MicroblogSupport
import MicroblogTransport
import MicroblogWeb

#if canImport(Glibc)
    import Glibc
#endif

/// The operator's tools on a database file: `backup`, `check` and `export`. Each opens its own
/// connection for reading only, so it never modifies the file and works while a server writes to it
/// (WAL readers do not block the writer). Stateless; runs on the caller's thread.
public enum DatabaseTools {
    /// What a tool reports: lines for standard output, and whether it succeeded.
    public struct Report: Sendable, Equatable {
        public var ok: Bool
        public var lines: [String]
    }

    // MARK: check

    /// `microblogd check`: integrity, schema version, counts. `ok` only for a healthy file whose schema
    /// this build knows.
    public static func check(path: String) -> Report {
        if case .postgres(let uri) = DatabaseLocation(path) { return checkPostgres(uri) }
        guard access(path, F_OK) == 0 else { return Report(ok: false, lines: ["\(path): no such file"]) }
        let database: SQLiteDatabase
        do { database = try SQLiteDatabase(path: path, readOnly: true) } catch {
            return Report(ok: false, lines: ["\(path): cannot open: \(describe(error))"])
        }
        defer { database.close() }
        var lines: [String] = []
        do {
            let version = try Migrations.userVersion(database)
            let tables =
                try database.statement("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").rows {
                    $0.int64(at: 0)
                }.first ?? 0
            if version == 0 && tables == 0 {
                return Report(ok: false, lines: ["\(path): an empty SQLite file, not a microblogd database"])
            }
            if version == 0 {
                return Report(ok: false, lines: ["\(path): a SQLite database of something else, not microblogd's"])
            }
            let problems = try database.statement("PRAGMA integrity_check(20)").rows { $0.string(at: 0) ?? "" }
            let healthy = problems == ["ok"]
            lines.append("integrity: " + (healthy ? "ok" : "FAILED"))
            lines += healthy ? [] : problems.map { "  " + $0 }
            var known = true
            if version > Migrations.newestVersion || version < 0 {
                known = false
                lines.append(
                    "schema: version \(version), newer than this microblogd knows (\(Migrations.newestVersion)); "
                        + "use a newer microblogd")
            } else if version < Migrations.newestVersion {
                lines.append(
                    "schema: version \(version) (a server upgrades it to \(Migrations.newestVersion) when it opens it)")
            } else {
                lines.append("schema: version \(version), current")
            }
            if healthy && known && version >= 1 {
                let users = try count(database, "SELECT count(*) FROM users")
                let posts = try count(database, "SELECT count(*) FROM posts")
                lines.append("users: \(users)")
                lines.append("posts: \(posts)")
            }
            lines.append(healthy && known ? "\(path): healthy" : "\(path): NOT healthy")
            return Report(ok: healthy && known, lines: lines)
        } catch {
            lines.append("\(path): \(describe(error))")
            return Report(ok: false, lines: lines)
        }
    }

    /// `check` on PostgreSQL: the schema version and the counts. PostgreSQL guards its own pages; there
    /// is no `integrity_check` to run (`pg_amcheck` checks indexes, and needs the amcheck extension).
    static func checkPostgres(_ uri: String) -> Report {
        let shown = DatabaseLocation.postgres(uri: uri).redacted
        do {
            let store = try PostgresStore(readingOnly: uri)
            defer { store.close() }
            let counts = try store.counts()
            return Report(
                ok: true,
                lines: [
                    "integrity: not checked here (PostgreSQL's own; see pg_amcheck)",
                    "schema: version \(PostgresMigrations.newestVersion), current",
                    "users: \(counts.users)", "posts: \(counts.posts)", "\(shown): healthy",
                ])
        } catch StoreError.unsupportedSchema(let found, let known) where found == 0 {
            _ = known
            return Report(ok: false, lines: ["\(shown): no microblogd schema in this database"])
        } catch {
            return Report(ok: false, lines: ["\(shown): \(describe(error))"])
        }
    }

    // MARK: backup

    /// `microblogd backup`: a consistent copy of `path` at `destination`, made with SQLite's online
    /// backup API in one step, that is one read transaction: the copy holds exactly what was committed
    /// when it began. It is written beside `destination` and renamed into place only once it passes
    /// `integrity_check`, so a failed backup never leaves a half-written file under that name.
    public static func backup(path: String, to destination: String, force: Bool) -> Report {
        if case .postgres = DatabaseLocation(path) {
            return Report(ok: false, lines: ["backup copies SQLite files; back up PostgreSQL with pg_dump"])
        }
        if sameFile(path, destination) {
            return Report(ok: false, lines: ["\(destination) is the database itself; a backup must go elsewhere"])
        }
        if access(destination, F_OK) == 0 && !force {
            return Report(ok: false, lines: ["\(destination) exists; add --force to replace it"])
        }
        let checked = check(path: path)
        guard checked.ok else {
            return Report(ok: false, lines: checked.lines + ["not backed up: the source is not healthy"])
        }
        let temporary = destination + ".partial-\(getpid())"
        unlink(temporary)
        defer { unlink(temporary) }
        do {
            let source = try SQLiteDatabase(path: path, readOnly: true)
            defer { source.close() }
            let copy: SQLiteDatabase
            do {
                copy = try SQLiteDatabase(path: temporary)
            } catch {
                return Report(ok: false, lines: ["backup failed: cannot write \(temporary) (\(describe(error)))"])
            }
            defer { copy.close() }
            let pages = try copy.copyPages(from: source)
            // The copy is a standalone file: fold its WAL in before it is renamed.
            try copy.execute("PRAGMA wal_checkpoint(TRUNCATE);")
            let problems = try copy.statement("PRAGMA integrity_check(20)").rows { $0.string(at: 0) ?? "" }
            guard problems == ["ok"] else {
                return Report(ok: false, lines: ["the copy failed its integrity check:"] + problems)
            }
            let users = try count(copy, "SELECT count(*) FROM users")
            let posts = try count(copy, "SELECT count(*) FROM posts")
            copy.close()
            unlink(temporary + "-wal")
            unlink(temporary + "-shm")
            guard rename(temporary, destination) == 0 else {
                return Report(
                    ok: false, lines: ["cannot rename the copy to \(destination): \(String(cString: strerror(errno)))"])
            }
            return Report(
                ok: true,
                lines: [
                    "backed up \(path) to \(destination): \(pages) pages, \(users) users, \(posts) posts; integrity ok"
                ])
        } catch {
            return Report(ok: false, lines: ["backup failed: \(describe(error))"])
        }
    }

    // MARK: export

    public enum ExportFormat: String, Sendable, CaseIterable {
        /// One JSON mode `post` object a line.
        case jsonl
        /// twtxt: an RFC 3339 time, a tab, the text (`Twtxt.line`, as the web door's twtxt files).
        case twtxt
    }

    /// `microblogd export`: posts oldest first, all or one account's, after `since`, handed to `write`
    /// one line at a time (without its newline). Direct messages and password hashes are not posts and
    /// are never read. Deleted posts are left out. Returns how many posts were written.
    public static func export(
        path: String, user: String?, since: Int64, format: ExportFormat, write: (String) -> Void
    ) throws -> Int {
        let store: Store
        switch DatabaseLocation(path) {
        case .sqlite(let file): store = try SQLiteStore(readingOnly: file)
        case .postgres(let uri): store = try PostgresStore(readingOnly: uri)
        }
        defer { store.close() }
        var scope = PostScope.everyone
        if let user {
            guard let account = try store.user(named: user) else {
                throw ToolError("no account named \(user)")
            }
            scope = .author(account.id)
        }
        var after = since
        var written = 0
        while true {
            let page = try store.posts(in: scope, .since(id: after, limit: 500), viewer: nil)
            for post in page {
                switch format {
                case .jsonl:
                    let bytes = JSONRenderer.render(.post(post, live: false))
                    write(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: "\r\n"))
                case .twtxt:
                    write(Twtxt.line(post))
                }
                written += 1
            }
            guard let last = page.last else { return written }
            after = last.id
        }
    }

    // MARK: helpers

    /// True when both paths name one file (the same device and inode), however they are spelled.
    static func sameFile(_ first: String, _ second: String) -> Bool {
        var a = stat()
        var b = stat()
        guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    private static func count(_ database: SQLiteDatabase, _ sql: String) throws -> Int {
        Int(try database.statement(sql).rows { $0.int64(at: 0) }.first ?? 0)
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? StoreError {
            switch error {
            case .notMicroblog:
                return error.description
            case .unsupportedSchema(let found, let known):
                return found > known
                    ? "schema version \(found) is newer than this microblogd knows (\(known))"
                    : "schema version \(found) is older than \(known): start microblogd on it once to upgrade it"
            case .failed(let failure):
                switch (failure.source, failure.kind.fault) {
                case (.postgres, .unreachable): return "cannot reach PostgreSQL (\(error.faultMessage))"
                case (.postgres, _): return error.faultMessage
                case (.sqlite, .corrupt) where failure.isNotADatabase:
                    return "not a SQLite database (\(failure.message))"
                case (.sqlite, .corrupt): return "the file is corrupt (\(failure.message))"
                case (.sqlite, .unreachable): return "cannot open the file (\(failure.message))"
                default: return failure.message
                }
            default: return error.description
            }
        }
        return "\(error)"
    }
}

/// A tool's failure, said plainly.
public struct ToolError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var result = Substring(self)
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return String(result)
    }
}
