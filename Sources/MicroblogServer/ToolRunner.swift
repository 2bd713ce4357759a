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

/// Runs a subcommand of the executable: output on standard output, problems on standard error.
/// Returns the exit status.
public enum ToolRunner {
    public static func run(_ tool: Options.Tool) -> Int32 {
        switch tool {
        case .createAccount(let database, let name):
            do {
                let created = try AccountTool.create(
                    name: name, password: try AccountTool.readPassword(), database: database)
                print("account \(created) created")
                return 0
            } catch {
                printError(
                    "microblogd account create: \(DatabaseTools.describe(error)) (database \(DatabaseLocation(database).redacted))"
                )
                return 1
            }
        case .check(let database):
            let report = DatabaseTools.check(path: database)
            for line in report.lines { print(line) }
            return report.ok ? 0 : 1
        case .backup(let database, let output, let force):
            let report = DatabaseTools.backup(path: database, to: output, force: force)
            for line in report.lines { report.ok ? print(line) : printError(line) }
            return report.ok ? 0 : 1
        case .migrate(let from, let to):
            let report = DatabaseTools.migrate(from: from, to: to)
            for line in report.lines { report.ok ? print(line) : printError(line) }
            return report.ok ? 0 : 1
        case .export(let database, let user, let since, let format):
            do {
                _ = try DatabaseTools.export(path: database, user: user, since: since, format: format) { line in
                    print(line)
                }
                return 0
            } catch {
                printError("microblogd export: \(DatabaseTools.describe(error))")
                return 1
            }
        }
    }

    private static func printError(_ line: String) {
        ServerLifecycle.printError(line)
    }
}
