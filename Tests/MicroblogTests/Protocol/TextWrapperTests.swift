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

@Suite struct TextWrapperTests {
    @Test func wrapsAtWordsUnderThePostsText() {
        let wrapped = TextWrapper.wrap("#7 12:04 al: aaa bbb ccc ddd eee fff\r\n", width: 30)
        #expect(wrapped == "#7 12:04 al: aaa bbb ccc ddd\r\n             eee fff\r\n")
        // A prefix wider than half the window would leave too little room: indent by two instead.
        #expect(
            TextWrapper.wrap("#7 12:04 al: aaa bbb ccc ddd eee\r\n", width: 24)
                == "#7 12:04 al: aaa bbb ccc\r\n  ddd eee\r\n")
    }

    @Test func shortLinesAndColourEscapesAreLeftAlone() {
        #expect(TextWrapper.wrap("* short\r\n", width: 40) == "* short\r\n")
        let colored = "\u{1B}[2m#7 12:04\u{1B}[0m \u{1B}[32mal\u{1B}[0m: aaa bbb\r\n"
        #expect(TextWrapper.wrap(colored, width: 24) == colored)
    }

    @Test func aWordLongerThanALineIsCut() {
        let wrapped = TextWrapper.wrap("* " + String(repeating: "x", count: 50), width: 20)
        #expect(wrapped.split(separator: "\r\n").allSatisfy { $0.count <= 20 })
        #expect(wrapped.filter { $0 == "x" }.count == 50)
    }
}
