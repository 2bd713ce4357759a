@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// The domain's half of the registry: every entry's payload has a handler (the compiler checks that), and
/// the handler asks for an account exactly when the entry's access does.
@Suite("Command handlers")
struct CommandHandlerTests {
    @Test func everyEntryHasAHandlerThatAsksForAnAccountExactlyWhenItsAccessDoes() throws {
        for spec in CommandTable.all {
            let line = try #require(CommandSamples.lines[spec.name], "no sample line for \(spec.name)")
            guard case .command(let parsedBy, .success(let command))? = CommandParser.read(line) else {
                Issue.record("\(line) does not parse")
                continue
            }
            #expect(parsedBy.name == spec.name, "\(line)")
            #expect(CommandHandler.of(command).needsAccount == (spec.access != .anyone), "\(spec.name)")
        }
    }

    /// A plain line and `//` are posts: the same entry and handler as `/post`.
    @Test func linesThatAreNotCommandsArePosts() {
        for line in ["hello", "//hello", "/post hello"] {
            guard case .command(let spec, .success(let command))? = CommandParser.read(line) else {
                Issue.record("\(line) does not parse")
                continue
            }
            #expect(spec.name == "post" && command == .post(line == "//hello" ? "/hello" : "hello"), "\(line)")
            #expect(CommandHandler.of(command).needsAccount)
        }
    }
}
