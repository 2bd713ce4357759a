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

@Suite("StatsField: one figure, formatted alike for text and JSON")
struct StatsFieldTests {
    @Test func statsFieldsFormatNumbersForTextAndJSON() {
        #expect(StatsField("a", .int(42)).formatted == "42")
        #expect(StatsField("a", .double(1.23456)).formatted == "1.235")
        #expect(StatsField("a", .double(3)).formatted == "3")
        #expect(StatsField("a", .double(.nan)).formatted == "0")
    }
}
