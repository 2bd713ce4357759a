import Testing

@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogModel
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogServer
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport

@Suite("Logger: levels and lines that cannot be forged")
struct LoggerTests {
    @Test func levelsBelowTheMinimumAreDropped() {
        let capture = LogCapture()
        let log = capture.logger(.warn)
        log.debug("a")
        log.info("b")
        log.warn("c", ["who": "x y"])
        log.error("d")
        #expect(capture.lines.count == 2)
        #expect(capture.lines[0].hasSuffix(" level=warn event=c who=\"x y\""))
        #expect(log.enabled(.error) && !log.enabled(.info))
    }

    @Test func valuesCannotForgeLines() {
        let capture = LogCapture()
        capture.logger().info("x", ["v": "a\nlevel=error event=forged", "q": "say \"hi\""])
        let line = capture.lines[0]
        #expect(!line.contains("\n"))
        #expect(line.contains("q=\"say \\\"hi\\\"\""))
        // A line break or tab reads as a space; other control characters as U+FFFD.
        #expect(line.contains("v=\"a level=error event=forged\""))
        capture.logger().info("y", ["e": "closed\n\tThis probably\r\nmeans", "c": "a\u{7}b"])
        #expect(capture.lines[1].contains("e=\"closed  This probably  means\""))
        #expect(capture.lines[1].contains("c=a\u{FFFD}b"))
    }

    /// A client-given value (an SSH user name, a command) is cut, so one line stays short whatever it sent.
    @Test func longValuesAreCutToTheirFirstBytes() {
        let capture = LogCapture()
        let name = String(repeating: "é", count: 150) + "tail"
        capture.logger().info("x", ["user": name, "short": "kept"])
        let line = capture.lines[0]
        #expect(line.contains("short=kept"))
        // 200 bytes of two-byte characters: 100 of them, whole, then the length.
        #expect(line.contains("user=\"" + String(repeating: "é", count: 100) + "...(304 bytes)\""))
        #expect(!line.contains("tail"))
        #expect(Logger.cut("short") == "short")
    }
}
