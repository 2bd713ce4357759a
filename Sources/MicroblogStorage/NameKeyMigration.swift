import MicroblogModel
import MicroblogSupport

/// The schema step that recomputes every stored name key (`users.name_key`) when `AccountRules.nameKey`
/// folds more look-alikes than it did: version 8 to 9 on SQLite, step 3 on PostgreSQL. The fold is
/// Swift code, so SQL alone cannot do it: `parkKeys` moves every key out of the way, then
/// `assignKeys` runs in the same transaction.
///
/// Accounts that were distinct under the old fold may collide under the new one (`sam` and `5am`).
/// Neither is lost or locked out: the older account (lower id) gets the new key, so it keeps its name
/// and every look-alike of it; each later one gets `AccountRules.keptApartKey` (`=5am`), which the fold
/// never produces, and is still found under its own name, in any case, by `Store.account(named:)`,
/// which tries that key first. Nobody can register a new look-alike of either.
public enum NameKeyMigration {
    /// Gives every account a unique placeholder key (`~` and its id; `~` is in no name and no key), so
    /// that the keys assigned next never meet an old key in the unique index.
    public static let parkKeys = "UPDATE users SET name_key = '~' || id"

    /// Assigns each account, oldest first, the key its name folds to, or its kept-apart key when an
    /// older account already took that one.
    public static func assignKeys<Database: SQLConnection>(_ database: Database) throws {
        let accounts = try database.statement("SELECT id, name FROM users ORDER BY id").rows([]) { row in
            (id: row.int64(at: 0), name: try row.nonNullString(at: 1))
        }
        let update = try database.statement("UPDATE users SET name_key = ? WHERE id = ?")
        var taken: Set<String> = []
        for account in accounts {
            let key = AccountRules.nameKey(account.name)
            let assigned = taken.insert(key).inserted ? key : AccountRules.keptApartKey(account.name)
            try update.run([.text(assigned), .integer(account.id)])
        }
    }
}
