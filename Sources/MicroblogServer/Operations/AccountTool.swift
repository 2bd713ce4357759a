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

#if canImport(Glibc)
    import Glibc
#endif

/// `microblogd account create NAME --db PATH`: the operator's way to create an account, the only way
/// to create an administrator's (`--admin NAME` reserves the name and its look-alikes on the wire).
public enum AccountTool {
    /// Creates account `name` with `password` in the database at `database` (a SQLite file or a
    /// PostgreSQL URI). Throws a message for the operator.
    @discardableResult
    public static func create(name: String, password: String, database: String) throws -> String {
        if case .failure(let error) = AccountRules.validateName(name) { throw ToolError(error.message) }
        if case .failure(let error) = AccountRules.validatePassword(password) { throw ToolError(error.message) }
        let store: Store
        switch DatabaseLocation(database) {
        case .sqlite(let file): store = try SQLiteStore(path: file)
        case .postgres(let uri): store = try PostgresStore(uri: uri)
        }
        defer { store.close() }
        if let existing = try store.account(named: name) {
            throw ToolError("the name \(name) is taken (by the account \(existing.user.name))")
        }
        let hash = try PasswordHasher.hash(password)
        let user = try store.createUser(
            name: name, nameKey: AccountRules.nameKey(name), passwordHash: hash, at: .now())
        return user.name
    }

    /// Reads the password: asked twice on the terminal with echo off, or one line from standard input
    /// when it is not a terminal (for scripts).
    static func readPassword() throws -> String {
        guard isatty(0) == 1 else {
            guard let line = readLine(strippingNewline: true), let password = AccountRules.typedPassword(line) else {
                throw ToolError("no password on standard input")
            }
            return password
        }
        let first = try prompt("Password: ")
        let second = try prompt("Repeat the password: ")
        guard first == second else { throw ToolError("the two passwords differ; nothing was created") }
        return first
    }

    private static func prompt(_ text: String) throws -> String {
        var saved = termios()
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSANOW, &quiet)
        defer {
            tcsetattr(0, TCSANOW, &saved)
            print("")
        }
        print(text, terminator: "")
        fflush(nil)
        guard let line = readLine(strippingNewline: true), let password = AccountRules.typedPassword(line) else {
            throw ToolError("no password given; nothing was created")
        }
        return password
    }
}
