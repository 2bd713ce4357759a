import MicroblogModel
import MicroblogSupport

/// What a store needs from a SQL database connection, so one store (`SQLStore`) serves SQLite and
/// PostgreSQL alike. SQL is written once with `?` placeholders; a connection for another engine
/// rewrites them (PostgreSQL: `$1`, `$2`, ...). Where engines differ, the connection gives the SQL
/// (`dialect`) or does the work (`insertPostRows`, `lockPostOrder`, `searchValues`, `announce`).
///
/// Not thread-safe: a connection and its statements are owned by one queue (the storage queue).

/// The pieces of SQL that differ between engines, given by each connection, so that the store's SQL
/// (`SQL`) is assembled without asking which engine it runs on. A value.
public struct SQLDialect: Sendable {
    /// A subquery joining the values of `expression` (`FROM ...` given as `from`), ordered by `order`,
    /// with spaces; NULL when there are none.
    let spaceSeparatedList: @Sendable (_ expression: String, _ from: String, _ order: String) -> String
    /// A subquery of the newest full-text matches, `id` and a `score` that sorts the best first, bound by
    /// `SQLConnection.searchValues`.
    let searchCandidates: String
    /// A subquery of the newest posts containing every string of a substring search, `id` and `score` as
    /// above, bound by `SQLConnection.substringValues` (`window` nil): through the trigram index, for
    /// scripts written without spaces and for words the word index does not find. At least one string
    /// is `SubstringSearch.minimumLength` characters long.
    let substringCandidates: String
    /// The same when every string is shorter than a trigram, so no index helps: a scan of the newest
    /// `window` posts (`SubstringSearch.shortScanWindow`).
    let shortSubstringCandidates: String
    /// `column` as text, zero-padded to 20 digits, so that paths of ids sort in id order.
    let zeroPadded: @Sendable (_ column: String) -> String
    /// Added after an ORDER BY of text so it compares byte by byte; empty where it already does.
    let byteOrder: String
    /// True when the trigram index holds every post, so it serves any substring search; false when it
    /// holds only posts with text written without spaces (SQLite's, see `SearchIndex`), so a substring
    /// search without such a character scans the newest posts instead.
    let trigramsCoverEveryPost: Bool
    /// What follows a column to match it against a list of ids bound as one value (`idList`): one
    /// statement text for any number of ids, so the prepared-statement caches hold one, not one per
    /// count (a batch of up to 1,024 notifications would otherwise cache up to 1,024 texts).
    let inIDList: String
    /// The one value `inIDList` binds.
    let idList: @Sendable ([Int64]) -> SQLValue

    public init(
        spaceSeparatedList: @escaping @Sendable (_ expression: String, _ from: String, _ order: String) -> String,
        searchCandidates: String, substringCandidates: String, shortSubstringCandidates: String,
        zeroPadded: @escaping @Sendable (_ column: String) -> String, byteOrder: String, trigramsCoverEveryPost: Bool,
        inIDList: String, idList: @escaping @Sendable ([Int64]) -> SQLValue
    ) {
        self.spaceSeparatedList = spaceSeparatedList
        self.searchCandidates = searchCandidates
        self.substringCandidates = substringCandidates
        self.shortSubstringCandidates = shortSubstringCandidates
        self.zeroPadded = zeroPadded
        self.byteOrder = byteOrder
        self.trigramsCoverEveryPost = trigramsCoverEveryPost
        self.inIDList = inIDList
        self.idList = idList
    }
}

/// A value bound to a statement parameter, for every engine.
public enum SQLValue: Equatable {
    case integer(Int64)
    case text(String)
    case null
}

/// One result row, read by column index from 0.
public protocol SQLRow {
    /// The integer in column `index`; 0 for NULL. A PostgreSQL boolean reads as 1 or 0.
    func int64(at index: Int) -> Int64
    /// The text in column `index`, or nil for NULL.
    func string(at index: Int) -> String?
    /// The text in column `index`; throws for NULL (for NOT NULL columns).
    func nonNullString(at index: Int) throws -> String
}

/// A statement, prepared once and run many times with `?` values bound in order.
public protocol SQLStatement: AnyObject {
    associatedtype Row: SQLRow
    /// Runs a statement that returns no rows (or whose rows are not wanted).
    func run(_ values: [SQLValue]) throws
    /// Runs a query and decodes every row. The row is valid only during `decode`.
    func rows<Result>(_ values: [SQLValue], _ decode: (Row) throws -> Result) throws -> [Result]
}

/// A connection: cached prepared statements, transactions, and the rows changed by the last statement.
public protocol SQLConnection: AnyObject {
    associatedtype Statement: SQLStatement
    var dialect: SQLDialect { get }
    /// Runs `;`-separated statements with no values and no rows (schema). Never with user text.
    func execute(_ sql: String) throws
    /// The prepared statement for `sql`, cached by its text.
    func statement(_ sql: String) throws -> Statement
    /// Runs `body` in a transaction that takes the write lock up front; rolls back when it throws. Called
    /// inside another transaction, it throws `StoreError.misuse` without running `body`, and the outer
    /// transaction goes on untouched (both engines; the store contract tests check it).
    func transaction<Result>(_ body: () throws -> Result) throws -> Result
    /// Tells the other nodes sharing this database about a change, when the transaction in progress
    /// commits (and never if it rolls back). A no-op for an engine with one node (SQLite).
    func announce(_ payload: String) throws
    /// Runs an INSERT into a table with an `id` primary key and returns the new row's id.
    func insert(_ sql: String, _ values: [SQLValue]) throws -> Int64
    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { get }
    /// True when other nodes share this database (PostgreSQL): changes are announced, presence is shared.
    var isShared: Bool { get }
    /// Called first in the transaction that inserts a batch of posts: nodes sharing the database then
    /// insert posts one transaction at a time, so ids are committed in id order and a client resuming with
    /// `/feed since ID` never skips a post another node committed later with a lower id.
    func lockPostOrder() throws
    /// Inserts the rows of a batch of posts (not their mentions or tags), in order, and returns their ids
    /// in the batch's order.
    func insertPostRows(_ posts: [NewPost]) throws -> [Int64]
    /// Of `ids`, the accounts deleted (an id with no account at all is not among them: the foreign key
    /// refuses it), every row locked against deletion until the transaction ends (PostgreSQL: `FOR SHARE`,
    /// so a `/delete-account` on another node waits for this commit, or this waits for it and sees the
    /// account gone). Called in a transaction, before writing anything an account makes, so nothing
    /// commits after its account's deletion.
    func deletedAccounts(among ids: [Int64]) throws -> Set<Int64>
    /// Inserts the mentions and tags of a batch whose post rows were just inserted, and returns for each
    /// post the users it mentions (see `PostEntityRows` for how names are resolved). Names are resolved
    /// once per batch; an engine with round trips writes the whole batch with one statement.
    func insertEntities(_ rows: PostEntityRows) throws -> [[User]]
    /// Inserts notification rows in order, leaving out those of a kind their recipient turned off
    /// (`users.notify_off`) and repeats (`NewNotification.repeatSince`: one like it already stored, or
    /// earlier in the batch), and returns each one's id, nil for those left out. An engine with round
    /// trips writes them all with one statement.
    func insertNotificationRows(_ notifications: [NewNotification]) throws -> [Int64?]
    /// The values to bind to a full-text search for `tokens` (words only; nothing in them is ever read as
    /// query syntax): the leading values of `SQL.searchColumns`, which ranks the newest `candidates` matches.
    func searchValues(_ tokens: [String], candidates: Int) -> [SQLValue]
    /// The values to bind to a substring search for `strings` (literal text, never query syntax): the
    /// leading values of `SQL.substringColumns`, or with a `window` of `SQL.shortSubstringColumns`.
    func substringValues(_ strings: [String], candidates: Int, window: Int?) -> [SQLValue]
    /// Brings the search indexes up to date with up to `limit` posts committed since the last time, in a
    /// transaction of its own; returns how many posts it covered. 0 where the engine indexes each post in
    /// its own commit (PostgreSQL). See `SearchIndex`.
    func indexForSearch(limit: Int) throws -> Int
    /// Posts committed but not yet in the search indexes (0 where each commit indexes its posts).
    func postsAwaitingSearchIndex() throws -> Int
    /// Runs `body` with a time limit on its statements (see `Store.withTimeLimit`): a statement that runs
    /// past it is stopped, and `body`'s failure thrown as `StoreError.timedOut`.
    func withTimeLimit<Result>(_ seconds: Double, _ body: () throws -> Result) throws -> Result
    /// True once `close()` has run.
    var isClosed: Bool { get }
    /// Closes the connection; later calls throw `StoreError.closed`. Safe to call more than once.
    func close()
    /// Called after a statement failed with `error`: returns the error with what the connection can learn
    /// about it (a full or read-only file system behind a "disk I/O error").
    func afterFailure(_ error: StoreError) -> StoreError
}

extension SQLConnection {
    /// PostgreSQL's errors already say their SQLSTATE, and its connection reconnects by itself.
    public func afterFailure(_ error: StoreError) -> StoreError { error }
}

extension SQLDialect {
    public static let sqlite = SQLDialect(
        spaceSeparatedList: { expression, from, order in
            "(SELECT group_concat(value, ' ') FROM (SELECT \(expression) AS value \(from) ORDER BY \(order)))"
        },
        // bm25: lower is better.
        searchCandidates: """
            SELECT rowid AS id, bm25(posts_fts) AS score FROM posts_fts WHERE posts_fts MATCH ?
            ORDER BY rowid DESC LIMIT ?
            """,
        // lower() folds ASCII only, as FTS5's trigram tokenizer does.
        substringCandidates: """
            SELECT rowid AS id, bm25(posts_trigram) AS score FROM posts_trigram WHERE posts_trigram MATCH ?
                AND NOT EXISTS (SELECT 1 FROM json_each(?) WHERE instr(lower(posts_trigram.text), lower(json_each.value)) = 0)
            ORDER BY rowid DESC LIMIT ?
            """,
        shortSubstringCandidates: """
            SELECT id, 0 AS score FROM posts WHERE id > (SELECT coalesce(max(id), 0) FROM posts) - ?
                AND NOT EXISTS (SELECT 1 FROM json_each(?) WHERE instr(lower(posts.text), lower(json_each.value)) = 0)
            ORDER BY id DESC LIMIT ?
            """,
        zeroPadded: { column in "printf('%020d', \(column))" },
        byteOrder: "",
        trigramsCoverEveryPost: false,
        inIDList: " IN (SELECT value FROM json_each(?))",
        idList: { ids in .text("[" + ids.map(String.init).joined(separator: ",") + "]") })
}
