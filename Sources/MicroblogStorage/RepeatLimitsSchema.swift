import MicroblogModel
import MicroblogSupport

/// The schema step that keeps likes, follows and reports from being repeated as spam, once per engine
/// (SQLite's version 15, PostgreSQL's step 8), each self-contained so it can be numbered where it lands.
///
/// `notifications_by_actor`: finds a notification of the same kind, from the same actor to the same
/// recipient, made lately (see `NewNotification.repeatSince`), without reading the recipient's others.
/// `reports_open_once`: one open report per reporter and post, so two nodes cannot both add one. Open
/// duplicates made before it are closed first (they stay in the table, closed by nobody).
public enum RepeatLimitsSchema {
    public static let sqlite = """
        CREATE INDEX notifications_by_actor ON notifications(actor_id, user_id, kind, created_at);
        UPDATE reports SET closed_at = created_at
        WHERE closed_at IS NULL AND id NOT IN (
            SELECT min(id) FROM reports WHERE closed_at IS NULL GROUP BY post_id, reporter_id
        );
        CREATE UNIQUE INDEX reports_open_once ON reports(post_id, reporter_id) WHERE closed_at IS NULL;
        """

    public static let postgres = """
        CREATE INDEX notifications_by_actor ON notifications(actor_id, user_id, kind, created_at);
        UPDATE reports SET closed_at = created_at
        WHERE closed_at IS NULL AND id NOT IN (
            SELECT min(id) FROM reports WHERE closed_at IS NULL GROUP BY post_id, reporter_id
        );
        CREATE UNIQUE INDEX reports_open_once ON reports(post_id, reporter_id) WHERE closed_at IS NULL;
        """
}
