import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// SQLite's search indexes, kept up to date after commits instead of inside them (schema version 14).
///
/// Writing a post into FTS5 inside the post's own transaction cost more than the rest of a commit: in one
/// sitting the ingest benchmark made 13,600 durable posts/s with both indexes written by triggers and
/// 73,500 with neither. FTS5 also indexes many rows inserted by one statement far more cheaply than
/// one row per trigger. So posts are committed without touching the indexes, and `indexForSearch`
/// brings both up to date in a transaction of its own, many posts at a time: `StorageWorker` runs it
/// at most `StorageWorker.searchIndexDelay` after a commit, and every search runs it first, so a
/// search always sees every committed post (the indexes themselves lag commits by that delay).
///
/// - The word index (`posts_fts`, external content) holds every post up to `search_index.words_through`.
/// - The trigram index (`posts_trigram`, its own copy of the text) holds only posts containing a
///   character of a script written without spaces (`SubstringSearch.isUnspacedScript`), up to
///   `trigrams_through` (each index catches up from its own mark): those are the posts the word index cannot split. A substring search holding
///   such a character can only match such posts, so the index answers it completely; other substring
///   searches (part of a long Latin word) scan the newest posts instead (`SubstringSearch`).
/// - Post text changes only when a post is deleted (its text cleared); the update triggers take the old
///   text out of whichever index already holds it.
///
/// Not thread-safe: runs on the connection's queue (the storage queue), like every statement.
enum SearchIndex {
    /// Version 14: the indexes' high-water marks; the insert triggers dropped; the trigram index made again
    /// holding only text without spaces, filled here from the posts that have such a character (SQLite's
    /// GLOB compares code points in a class, so the pattern matches what `SubstringSearch` calls
    /// unspaced). Both indexes then hold every post, and their marks start at the newest.
    static let schema = """
        CREATE TABLE search_index (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            words_through INTEGER NOT NULL,
            trigrams_through INTEGER NOT NULL
        );
        INSERT INTO search_index VALUES (1, (SELECT coalesce(max(id), 0) FROM posts), (SELECT coalesce(max(id), 0) FROM posts));
        DROP TRIGGER posts_fts_insert;
        DROP TRIGGER posts_fts_update;
        CREATE TRIGGER posts_fts_update AFTER UPDATE OF text ON posts
            WHEN old.id <= (SELECT words_through FROM search_index) BEGIN
            INSERT INTO posts_fts(posts_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO posts_fts(rowid, text) VALUES (new.id, new.text);
        END;
        DROP TRIGGER posts_trigram_insert;
        DROP TRIGGER posts_trigram_update;
        DROP TABLE posts_trigram;
        CREATE VIRTUAL TABLE posts_trigram USING fts5(text, tokenize='trigram');
        INSERT INTO posts_trigram(rowid, text) SELECT id, text FROM posts WHERE text GLOB '\(SubstringSearch.unspacedScriptGlob)';
        CREATE TRIGGER posts_trigram_update AFTER UPDATE OF text ON posts BEGIN
            DELETE FROM posts_trigram WHERE rowid = old.id;
        END;
        """

    static let marks = "SELECT words_through, trigrams_through FROM search_index"
    static let newestPost = "SELECT coalesce(max(id), 0) FROM posts"
    static let indexWords = "INSERT INTO posts_fts(rowid, text) SELECT id, text FROM posts WHERE id > ? AND id <= ?"
    static let textsAfter = "SELECT id, text FROM posts WHERE id > ? AND id <= ?"
    static let indexTrigrams = "INSERT INTO posts_trigram(rowid, text) VALUES (?, ?)"
    static let setMarks = "UPDATE search_index SET words_through = ?, trigrams_through = ?"

    /// True when `text` holds a character of a script written without spaces. Every such script lies
    /// above U+0DFF, so text whose UTF-8 has no byte from 0xE0 up (ASCII, Latin, Greek, Cyrillic, Arabic,
    /// Hebrew, ...) is answered without decoding it.
    static func needsTrigrams(_ text: String) -> Bool {
        var text = text
        let wide = text.withUTF8 { bytes in bytes.contains { $0 >= 0xE0 } }
        return wide && text.unicodeScalars.contains(where: SubstringSearch.isUnspacedScript)
    }
}

extension SQLiteDatabase {
    /// Indexes for search up to `limit` of the posts committed since the last time, in one transaction;
    /// returns how many posts it covered (0 when the indexes were up to date, or the file is open for
    /// reading only).
    public func indexForSearch(limit: Int) throws -> Int {
        // Read first: most searches find the indexes up to date, and need no write lock.
        guard !readOnly, try postsAwaitingSearchIndex() > 0 else { return 0 }
        return try transaction {
            let marks = try statement(SearchIndex.marks).rows { row in (row.int64(at: 0), row.int64(at: 1)) }
            guard let (words, trigrams) = marks.first else {
                throw StoreError.storeFailure("no row in search_index", context: SearchIndex.marks)
            }
            let newest = try statement(SearchIndex.newestPost).rows { $0.int64(at: 0) }.first ?? 0
            // Each index from its own mark, so one catching up (a database copied by `migrate`) never
            // holds the other back.
            let wordsThrough = min(newest, words + Int64(max(1, limit)))
            if wordsThrough > words {
                try statement(SearchIndex.indexWords).run([.integer(words), .integer(wordsThrough)])
            }
            let trigramsThrough = min(newest, trigrams + Int64(max(1, limit)))
            if trigramsThrough > trigrams {
                let texts = try statement(SearchIndex.textsAfter).rows([.integer(trigrams), .integer(trigramsThrough)])
                {
                    ($0.int64(at: 0), $0.string(at: 1) ?? "")
                }
                for (id, text) in texts where SearchIndex.needsTrigrams(text) {
                    try statement(SearchIndex.indexTrigrams).run([.integer(id), .text(text)])
                }
            }
            try statement(SearchIndex.setMarks).run([
                .integer(max(words, wordsThrough)), .integer(max(trigrams, trigramsThrough)),
            ])
            return Int(max(wordsThrough - words, trigramsThrough - trigrams, 0))
        }
    }

    /// Posts committed but not yet in both search indexes.
    public func postsAwaitingSearchIndex() throws -> Int {
        let from = try statement(SearchIndex.marks).rows { min($0.int64(at: 0), $0.int64(at: 1)) }.first ?? 0
        let newest = try statement(SearchIndex.newestPost).rows { $0.int64(at: 0) }.first ?? 0
        return Int(max(0, newest - from))
    }
}
