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

@Suite struct WatchSettingTests {
    @Test func storedFormRoundTrips() {
        let setting = WatchSetting(mode: .following, tags: ["swift", "rust"])
        #expect(setting.stored == "following #rust #swift")
        #expect(WatchSetting(stored: setting.stored) == setting)
        #expect(WatchSetting(stored: "all") == .all)
        #expect(WatchSetting(stored: "sometimes") == nil)
        #expect(WatchSetting(stored: "off #42") == nil)
    }

    @Test func whatEachModeAdmits() {
        let following: Set<Int64> = [2]
        func admits(_ setting: WatchSetting, author: Int64, tags: [String] = []) -> Bool {
            setting.admits(authorID: author, tags: tags, viewerID: 1, following: following)
        }
        #expect(admits(.all, author: 3))
        let mine = WatchSetting(mode: .following)
        #expect(admits(mine, author: 1) && admits(mine, author: 2) && !admits(mine, author: 3))
        #expect(admits(WatchSetting(mode: .following, tags: ["swift"]), author: 3, tags: ["swift"]))
        #expect(!admits(WatchSetting(mode: .off), author: 2))
        #expect(admits(WatchSetting(mode: .off, tags: ["swift"]), author: 3, tags: ["rust", "swift"]))
        #expect(WatchSetting(mode: .off).isSilent && !WatchSetting(mode: .off, tags: ["x"]).isSilent)
    }
}
