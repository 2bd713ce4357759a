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

@Suite("Substring search route")
struct SubstringSearchTests {
    @Test func unspacedScriptsGoStraightToTheTrigramIndex() {
        #expect(SubstringSearch.route(["日本語"]) == .substrings)
        #expect(SubstringSearch.route(["カタカナ", "word"]) == .substrings)
        #expect(SubstringSearch.route(["ภาษาไทย"]) == .substrings)
    }

    @Test func spacedScriptsTryWordsFirst() {
        #expect(SubstringSearch.route(["swift"]) == .wordsThenSubstrings)
        #expect(SubstringSearch.route(["한국어"]) == .wordsThenSubstrings)
    }

    @Test func aShortWordOfAnUnspacedScriptIsStillASubstring() {
        #expect(SubstringSearch.route(["日本"]) == .substrings)
        #expect(SubstringSearch.route(["本", "a"]) == .substrings)
    }

    @Test func aShortSpacedWordKeepsTheWordIndex() {
        #expect(SubstringSearch.route(["swift", "is"]) == .words)
        #expect(SubstringSearch.route([]) == .words)
    }
}
