import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// The schema, as forward steps versioned by `PRAGMA user_version`.
///
/// Step `n` (counting from 0) takes a database from version `n` to `n + 1`. Steps are only ever appended:
/// a released step is never edited, since files in the field have already run it.
public enum Migrations {
    static let steps: [String] = [
        // Version 1. created_at is milliseconds since the Unix epoch, UTC.
        // AUTOINCREMENT is deliberate: post ids are never reused, since clients resume with "since ID".
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE posts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id),
            text TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX posts_by_user ON posts(user_id, id);
        """,
        // Version 2: who follows whom. One row per pair; the second index answers "followers of".
        """
        CREATE TABLE follows (
            follower INTEGER NOT NULL REFERENCES users(id),
            followee INTEGER NOT NULL REFERENCES users(id),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (follower, followee)
        ) WITHOUT ROWID;
        CREATE INDEX follows_by_followee ON follows(followee, follower);
        """,
        // Version 3: mentions and hashtags, found once when a post is made. The primary keys serve
        // "posts mentioning X" and "posts tagged T" newest first; the post_id indexes serve a post's own.
        """
        CREATE TABLE mentions (
            user_id INTEGER NOT NULL REFERENCES users(id),
            post_id INTEGER NOT NULL REFERENCES posts(id),
            PRIMARY KEY (user_id, post_id)
        ) WITHOUT ROWID;
        CREATE INDEX mentions_by_post ON mentions(post_id);
        CREATE TABLE tags (
            tag TEXT NOT NULL,
            post_id INTEGER NOT NULL REFERENCES posts(id),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tag, post_id)
        ) WITHOUT ROWID;
        CREATE INDEX tags_by_post ON tags(post_id);
        CREATE INDEX tags_by_time ON tags(created_at, tag);
        """,
        // Version 4: each account's live-feed choice, remembered across logins, and whom it has muted.
        """
        ALTER TABLE users ADD COLUMN watch TEXT NOT NULL DEFAULT 'all';
        CREATE TABLE mutes (
            user_id INTEGER NOT NULL REFERENCES users(id),
            muted_id INTEGER NOT NULL REFERENCES users(id),
            PRIMARY KEY (user_id, muted_id)
        ) WITHOUT ROWID;
        """,
        // Version 5: replies, reposts, likes, and deletion. A deleted post keeps its row (with its text
        // cleared) so that replies to it still hang together; listings leave it out.
        """
        ALTER TABLE posts ADD COLUMN reply_to INTEGER REFERENCES posts(id);
        ALTER TABLE posts ADD COLUMN repost_of INTEGER REFERENCES posts(id);
        ALTER TABLE posts ADD COLUMN deleted_at INTEGER;
        CREATE INDEX posts_by_reply ON posts(reply_to) WHERE reply_to IS NOT NULL;
        CREATE INDEX posts_by_repost ON posts(repost_of, user_id) WHERE repost_of IS NOT NULL;
        CREATE TABLE likes (
            post_id INTEGER NOT NULL REFERENCES posts(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (post_id, user_id)
        ) WITHOUT ROWID;
        """,
        // Version 6: full-text search over posts (FTS5, an external-content index kept by triggers). A
        // deleted post's text is cleared by an UPDATE, whose trigger removes the old text from the index.
        """
        CREATE VIRTUAL TABLE posts_fts USING fts5(
            text, content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
        );
        INSERT INTO posts_fts(posts_fts) VALUES ('rebuild');
        CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
            INSERT INTO posts_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER posts_fts_update AFTER UPDATE OF text ON posts BEGIN
            INSERT INTO posts_fts(posts_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO posts_fts(rowid, text) VALUES (new.id, new.text);
        END;
        """,
        // Version 7: profiles (a bio, when last seen) and direct messages. Each message is listed by
        // recipient and by sender; a conversation is the union of the two for a pair.
        """
        ALTER TABLE users ADD COLUMN bio TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN last_seen INTEGER;
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            sender INTEGER NOT NULL REFERENCES users(id),
            recipient INTEGER NOT NULL REFERENCES users(id),
            text TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            read_at INTEGER
        );
        CREATE INDEX messages_by_recipient ON messages(recipient, sender, id);
        CREATE INDEX messages_by_sender ON messages(sender, recipient, id);
        """,
        // Version 8: moderation. A banned account keeps its reason; every moderation action is kept.
        """
        ALTER TABLE users ADD COLUMN banned_reason TEXT;
        CREATE TABLE moderation (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            admin_id INTEGER NOT NULL REFERENCES users(id),
            action TEXT NOT NULL,
            user_id INTEGER REFERENCES users(id),
            post_id INTEGER REFERENCES posts(id),
            reason TEXT NOT NULL DEFAULT ''
        );
        """,
        // Version 9: name keys under the fold with look-alike digits and `cl` (see `NameKeyMigration`).
        // The SQL parks every key on a unique placeholder; Swift then assigns the keys.
        NameKeyMigration.parkKeys,
        // Version 10: name keys again, now that `6` is not folded (it made `bot6` and `bot8` one name). Keys
        // only split, so every account keeps its key or gets a finer one.
        NameKeyMigration.parkKeys,
        // Version 11: the SSH public keys each account added (`/key add`), for the SSH door's key login.
        // A blob (canonical base64) belongs to one account; an account's keys are numbered in id order.
        """
        CREATE TABLE ssh_keys (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            key_type TEXT NOT NULL,
            key_blob TEXT NOT NULL UNIQUE,
            comment TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL
        );
        CREATE INDEX ssh_keys_by_user ON ssh_keys(user_id, id);
        """,
        // Version 12: accounts' own settings and a community's own tools (see `CommunitySchema`): each
        // account's time zone, reports of posts, invite codes, and how many more codes each may make.
        CommunitySchema.sqlite,
        // Version 13: a trigram index for search in text without spaces, and notifications.
        searchAndNotifications,
        // Version 14: search indexes written after commits, the trigram index for text without spaces only.
        SearchIndex.schema,
        // Version 15: no repeats of a like, a follow or a report as spam (see `RepeatLimitsSchema`).
        RepeatLimitsSchema.sqlite,
        // Version 16: the indexes `/export` reads its pages through (see `ExportPaging`).
        ExportPaging.indexes,
        // Version 17: who is signed in on the web door, and who keeps off it (see `WebSchema`).
        WebSchema.sqlite,
    ]

    /// Version 13: a second full-text index of posts with FTS5's
    /// trigram tokenizer, which finds any string of three or more characters inside a post, for scripts
    /// written without spaces (see `SubstringSearch`), kept by triggers like `posts_fts`; notifications,
    /// listed per recipient newest first; each account's notification choices (`NotificationSettings`).
    static let searchAndNotifications = """
        CREATE VIRTUAL TABLE posts_trigram USING fts5(
            text, content='posts', content_rowid='id', tokenize='trigram'
        );
        INSERT INTO posts_trigram(posts_trigram) VALUES ('rebuild');
        CREATE TRIGGER posts_trigram_insert AFTER INSERT ON posts BEGIN
            INSERT INTO posts_trigram(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER posts_trigram_update AFTER UPDATE OF text ON posts BEGIN
            INSERT INTO posts_trigram(posts_trigram, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO posts_trigram(rowid, text) VALUES (new.id, new.text);
        END;
        ALTER TABLE users ADD COLUMN notify_off TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN bell INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id),
            kind TEXT NOT NULL,
            actor_id INTEGER NOT NULL REFERENCES users(id),
            post_id INTEGER REFERENCES posts(id),
            created_at INTEGER NOT NULL
        );
        CREATE INDEX notifications_by_user ON notifications(user_id, id);
        """

    /// The schema version this build writes and understands.
    public static var newestVersion: Int32 { Int32(steps.count) }

    /// Brings the database up to `newestVersion`, one step per transaction (each also sets user_version).
    /// Throws `StoreError.unsupportedSchema` for a file from a newer build; it is left untouched.
    static func migrate(_ database: SQLiteDatabase) throws {
        // Read outside a transaction first, so an up-to-date file is opened without taking the write lock.
        let version = try checkedVersion(database)
        guard version < newestVersion else { return }
        if version == 0 {
            // A file at version 0 must be new: one with tables of its own belongs to something else.
            let tables =
                try database.statement("SELECT count(*) FROM sqlite_schema").rows { $0.int64(at: 0) }.first ?? 0
            guard tables == 0 else { throw StoreError.notMicroblog }
        }
        while try applyNextStep(database) {}
    }

    /// The file's schema version, from its header.
    public static func userVersion(_ database: SQLiteDatabase) throws -> Int32 {
        let version = try database.statement("PRAGMA user_version").rows { $0.int64(at: 0) }.first ?? 0
        return Int32(truncatingIfNeeded: version)
    }

    /// Applies the step after the current version; false when there is none. The version is read again inside
    /// the transaction, so two processes opening one old file never run a step twice.
    private static func applyNextStep(_ database: SQLiteDatabase) throws -> Bool {
        try database.transaction {
            let current = try checkedVersion(database)
            guard current < newestVersion else { return false }
            try database.execute(steps[Int(current)])
            if steps[Int(current)] == NameKeyMigration.parkKeys { try NameKeyMigration.assignKeys(database) }
            // PRAGMA takes no bound parameters; the value is our own integer.
            try database.execute("PRAGMA user_version = \(current + 1)")
            return true
        }
    }

    /// The file's version, or `unsupportedSchema` when this build cannot read it (newer, or negative).
    private static func checkedVersion(_ database: SQLiteDatabase) throws -> Int32 {
        let version = try userVersion(database)
        guard (0...newestVersion).contains(version) else {
            throw StoreError.unsupportedSchema(found: version, known: newestVersion)
        }
        return version
    }
}
