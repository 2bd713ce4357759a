import Testing

@testable import MicroblogCore

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
    }
}
