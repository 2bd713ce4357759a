import MicroblogModel
import MicroblogSupport

/// The schema step for the web door, once per engine (SQLite's version 17, PostgreSQL's step 10), each
/// self-contained so it can be numbered where it lands.
///
/// `web_sessions`: who is signed in on the web door. A row holds the SHA-256 of the session cookie's
/// token, never the token, so a copy of the database signs no one in; it ends when it is `WebSessionRules
/// .lifetime` old, when its owner signs out, changes the password with `--logout-others` or is deleted.
/// `users.web_off`: 1 when the account keeps its profile and posts off the web door (`/web off`);
/// `users_off_web` finds the few accounts the web door hides (those and the banned) without a scan.
public enum WebSchema {
    public static let sqlite = """
        CREATE TABLE web_sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX web_sessions_by_user ON web_sessions(user_id, created_at);
        ALTER TABLE users ADD COLUMN web_off INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX users_off_web ON users(id) WHERE web_off <> 0 OR banned_reason IS NOT NULL;
        """

    public static let postgres = """
        CREATE TABLE web_sessions (
            token_hash text COLLATE "C" PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at bigint NOT NULL
        );
        CREATE INDEX web_sessions_by_user ON web_sessions(user_id, created_at);
        ALTER TABLE users ADD COLUMN web_off integer NOT NULL DEFAULT 0;
        CREATE INDEX users_off_web ON users(id) WHERE web_off <> 0 OR banned_reason IS NOT NULL;
        """
}
