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

/// The PROXY v1 header, byte by byte: the three families, every way to be malformed, the length limit,
/// early rejection, reads split anywhere, and the client's bytes that follow the header.
@Suite struct ProxyHeaderTests {
    private typealias Outcome = ProxyHeaderParser.Outcome

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Feeds `input` in one read to a new parser.
    private func parse(_ input: [UInt8]) -> Outcome {
        var parser = ProxyHeaderParser()
        return parser.feed(input)
    }

    private func parse(_ text: String) -> Outcome { parse(bytes(text)) }

    /// Feeds `input` one byte at a time; returns the first outcome other than `.needMore` and the 1-based
    /// position of the byte that produced it, or `.needMore` and nil.
    private func firstDecision(_ input: [UInt8]) -> (outcome: Outcome, at: Int?) {
        var parser = ProxyHeaderParser()
        for (index, byte) in input.enumerated() {
            let outcome = parser.feed([byte])
            if outcome != .needMore { return (outcome, index + 1) }
        }
        return (.needMore, nil)
    }

    private func tcp4(_ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16)
        -> ProxyHeader
    {
        ProxyHeader(
            source: .tcp4(host: source, port: sourcePort),
            destination: .init(host: destination, port: destinationPort))
    }

    private func tcp6(_ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16)
        -> ProxyHeader
    {
        ProxyHeader(
            source: .tcp6(host: source, port: sourcePort),
            destination: .init(host: destination, port: destinationPort))
    }

    private let unknown = ProxyHeader(source: .unknown, destination: nil)

    private static let validHeaders = [
        "PROXY TCP4 192.168.0.1 10.0.0.2 56324 4242\r\n",
        "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
        "PROXY TCP6 2001:db8::1 2001:db8::2 5678 4242\r\n",
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
        "PROXY UNKNOWN\r\n",
        "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n",
    ]

    // MARK: - TCP4

    @Test func tcp4Header() {
        let header = "PROXY TCP4 192.168.0.1 10.0.0.2 56324 4242\r\n"
        #expect(parse(header) == .done(tcp4("192.168.0.1", 56324, "10.0.0.2", 4242), consumed: header.utf8.count))
    }

    @Test func tcp4LongestHeaderAndPortExtremes() {
        let longest = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"
        #expect(
            parse(longest)
                == .done(tcp4("255.255.255.255", 65535, "255.255.255.255", 65535), consumed: longest.utf8.count))
        let zeros = "PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n"
        #expect(parse(zeros) == .done(tcp4("0.0.0.0", 0, "0.0.0.0", 0), consumed: zeros.utf8.count))
    }

    @Test func tcp4ClientAddress() {
        guard case .done(let header, _) = parse("PROXY TCP4 1.2.3.4 5.6.7.8 5678 4242\r\n") else {
            Issue.record("not parsed")
            return
        }
        #expect(header.clientHost == "1.2.3.4")
        #expect(header.clientAddress == "1.2.3.4:5678")
        #expect(header.destination == .init(host: "5.6.7.8", port: 4242))
    }

    // MARK: - TCP6

    @Test func tcp6Header() {
        let header = "PROXY TCP6 2001:db8::1 2001:db8::2 5678 4242\r\n"
        #expect(parse(header) == .done(tcp6("2001:db8::1", 5678, "2001:db8::2", 4242), consumed: header.utf8.count))
    }

    @Test func tcp6AddressesAreCanonical() {
        let header = "PROXY TCP6 2001:0DB8:0000:0000:0000:0000:0000:0001 0:0:0:0:0:ffff:102:304 1 2\r\n"
        #expect(parse(header) == .done(tcp6("2001:db8::1", 1, "::ffff:1.2.3.4", 2), consumed: header.utf8.count))
        let mapped = "PROXY TCP6 ::FFFF:1.2.3.4 ::1 1 2\r\n"
        #expect(parse(mapped) == .done(tcp6("::ffff:1.2.3.4", 1, "::1", 2), consumed: mapped.utf8.count))
    }

    @Test func tcp6ClientAddressIsBracketed() {
        guard case .done(let header, _) = parse("PROXY TCP6 2001:db8::1 ::1 5678 4242\r\n") else {
            Issue.record("not parsed")
            return
        }
        #expect(header.clientHost == "2001:db8::1")
        #expect(header.clientAddress == "[2001:db8::1]:5678")
    }

    // MARK: - UNKNOWN

    @Test func unknownAlone() {
        #expect(parse("PROXY UNKNOWN\r\n") == .done(unknown, consumed: 15))
    }

    @Test func unknownIgnoresWhateverFollowsUpToCRLF() {
        let withFields = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"
        #expect(parse(withFields) == .done(unknown, consumed: withFields.utf8.count))
        let junk = "PROXY UNKNOWN  not even  fields \u{E9}\t\r\n"
        #expect(parse(junk) == .done(unknown, consumed: junk.utf8.count))
    }

    @Test func unknownHasNoClient() {
        #expect(unknown.clientHost == nil)
        #expect(unknown.clientAddress == nil)
    }

    @Test func unknownMustBeTheWholeWord() {
        #expect(parse("PROXY UNKNOWNX\r\n") == .invalid("unknown protocol family"))
        #expect(parse("PROXY UNKNOW\r\n") == .invalid("unknown protocol family"))
    }

    // MARK: - Malformed

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n", "not a PROXY header"),
        ("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "not a PROXY header"),
        ("PROXY\r\n", "not a PROXY header"),
        (" PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "not a PROXY header"),
        ("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "unknown protocol family"),
        ("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "unknown protocol family"),
        ("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "unknown protocol family"),
        ("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", "unknown protocol family"),
        ("PROXY \r\n", "unknown protocol family"),
        ("PROXY TCP4\r\n", "missing fields"),
        ("PROXY TCP4 \r\n", "missing fields"),
        ("PROXY TCP4 1.2.3.4\r\n", "missing fields"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8\r\n", "missing fields"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "missing fields"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n", "missing fields"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "too many fields"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "too many fields"),
        ("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "extra space"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8  1 2\r\n", "extra space"),
        ("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "extra space"),
        ("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "bad source address"),
        ("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "bad source address"),
        ("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", "bad source address"),
        ("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "bad source address"),
        ("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", "bad source address"),
        ("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "bad source address"),
        ("PROXY TCP4 localhost 5.6.7.8 1 2\r\n", "bad source address"),
        ("PROXY TCP4 1.2.3.4 5.6.7 1 2\r\n", "bad destination address"),
        ("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "bad source address"),
        ("PROXY TCP6 ::1 2001:db8:::2 1 2\r\n", "bad destination address"),
        ("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", "bad source address"),
        ("PROXY TCP6 ::g ::1 1 2\r\n", "bad source address"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "bad source port"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", "bad source port"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 00 2\r\n", "bad source port"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", "bad source port"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", "bad source port"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", "bad destination port"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 0x10\r\n", "bad destination port"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "LF without CR"),
        ("PROXY UNKNOWN\n", "LF without CR"),
        ("PROXY UNKNOWN a\nb\r\n", "LF without CR"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", "CR not followed by LF"),
        ("PROXY UNKNOWN\rX\n", "CR not followed by LF"),
        ("PROXY UNKNOWN a\rb\r\n", "CR not followed by LF"),
        ("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n", "NUL byte in header"),
        ("PROXY UNKNOWN \0\r\n", "NUL byte in header"),
        ("PROXY\0", "not a PROXY header"),
    ])
    func malformedHeaderIsInvalid(input: String, reason: String) {
        #expect(parse(input) == .invalid(reason))
    }

    // MARK: - The length limit

    @Test func headerOfExactlyMaxLengthIsFine() {
        let trailer = String(repeating: "x", count: ProxyHeaderParser.maxLength - 16)
        let header = "PROXY UNKNOWN " + trailer + "\r\n"
        #expect(header.utf8.count == ProxyHeaderParser.maxLength)
        #expect(parse(header) == .done(unknown, consumed: ProxyHeaderParser.maxLength))
    }

    @Test func crlfThatWouldEndPastTheLimitIsInvalid() {
        let header = "PROXY UNKNOWN " + String(repeating: "x", count: ProxyHeaderParser.maxLength - 15) + "\r\n"
        #expect(header.utf8.count == ProxyHeaderParser.maxLength + 1)
        // Rejected at the CR, the 107th byte: the LF cannot fit.
        let decision = firstDecision(bytes(header))
        #expect(decision.outcome == .invalid("header longer than 107 bytes"))
        #expect(decision.at == ProxyHeaderParser.maxLength)
    }

    @Test func overlongIsInvalidAsSoonAsMaxLengthBytesArriveWithoutCRLF() {
        let input = bytes("PROXY UNKNOWN " + String(repeating: "x", count: 500))
        var parser = ProxyHeaderParser()
        #expect(parser.feed(Array(input[..<(ProxyHeaderParser.maxLength - 1)])) == .needMore)
        #expect(parser.feed([input[ProxyHeaderParser.maxLength - 1]]) == .invalid("header longer than 107 bytes"))
        #expect(parse(input) == .invalid("header longer than 107 bytes"))
    }

    // MARK: - Early rejection

    @Test(arguments: [
        ("hello", 1),
        ("\r\n", 1),
        ("\n", 1),
        ("PROXX", 5),
        ("PROXY\r\n", 6),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3", 31),
        ("PROXY TCP7", 10),
        ("PROXY UNKNOWNS", 14),
        ("PROXY TCP4 1.2.3.x", 18),
        ("PROXY TCP4 1.2.3.4.5.6.7.8.9", 27),
        ("PROXY TCP4 1.2.3.256 ", 21),
        ("PROXY TCP6 ::1 ::2 123456", 25),
        ("PROXY TCP6 ::1 ::2 1 012", 23),
        ("PROXY TCP6 ::1 ::2 1 65536", 26),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r ", 32),
    ])
    func impossibleInputIsRejectedAtTheFirstBadByte(input: String, position: Int) {
        let decision = firstDecision(bytes(input) + bytes(" and more that never comes"))
        #expect(decision.at == position, "\(decision.outcome)")
        guard case .invalid = decision.outcome else {
            Issue.record("expected .invalid, got \(decision.outcome)")
            return
        }
    }

    @Test func everyPrefixOfAValidHeaderNeedsMore() {
        for header in Self.validHeaders {
            let input = bytes(header)
            for end in 0..<input.count {
                var parser = ProxyHeaderParser()
                #expect(parser.feed(Array(input[..<end])) == .needMore, "prefix \(end) of \(header)")
            }
        }
    }

    // MARK: - Reads split anywhere

    @Test func everySplitPointGivesTheSameHeader() {
        for header in Self.validHeaders {
            let input = bytes(header)
            let whole = parse(input)
            guard case .done(let expected, consumed: input.count) = whole else {
                Issue.record("\(header) gave \(whole)")
                continue
            }
            for split in 0...input.count {
                var parser = ProxyHeaderParser()
                let first = parser.feed(Array(input[..<split]))
                if split == input.count {
                    #expect(first == .done(expected, consumed: split))
                } else {
                    #expect(first == .needMore, "split \(split) of \(header)")
                    #expect(parser.feed(Array(input[split...])) == .done(expected, consumed: input.count - split))
                }
            }
        }
    }

    @Test func oneByteAtATime() {
        for header in Self.validHeaders {
            let input = bytes(header)
            var parser = ProxyHeaderParser()
            for byte in input.dropLast() {
                #expect(parser.feed([byte]) == .needMore, "\(header)")
            }
            guard case .done(_, consumed: 1) = parser.feed([input[input.count - 1]]) else {
                Issue.record("the final LF of \(header) did not finish it")
                continue
            }
        }
    }

    @Test func emptyReadsChangeNothing() {
        var parser = ProxyHeaderParser()
        #expect(parser.feed([]) == .needMore)
        #expect(parser.feed(bytes("PROXY UNKNOWN\r")) == .needMore)
        #expect(parser.feed([]) == .needMore)
        #expect(parser.feed(bytes("\n")) == .done(unknown, consumed: 1))
    }

    // MARK: - The client's bytes after the header

    @Test func bytesAfterTheHeaderAreNotConsumed() {
        let header = "PROXY TCP4 1.2.3.4 5.6.7.8 5678 4242\r\n"
        let input = bytes(header + "login alice\r\n")
        #expect(parse(input) == .done(tcp4("1.2.3.4", 5678, "5.6.7.8", 4242), consumed: header.utf8.count))

        // Data that looks like another header, or starts with CR LF, is still the client's.
        let twice = bytes("PROXY UNKNOWN\r\nPROXY UNKNOWN\r\n")
        #expect(parse(twice) == .done(unknown, consumed: 15))
        let blank = bytes("PROXY UNKNOWN\r\n\r\n\0")
        #expect(parse(blank) == .done(unknown, consumed: 15))
    }

    @Test func consumedCountsOnlyTheLastReadsBytes() {
        var parser = ProxyHeaderParser()
        #expect(parser.feed(bytes("PROXY TCP6 ::1 ::2 1 2\r")) == .needMore)
        #expect(parser.feed(bytes("\nhello")) == .done(tcp6("::1", 1, "::2", 2), consumed: 1))
    }

    @Test func afterTheOutcomeTheParserRepeatsItAndConsumesNothing() {
        var done = ProxyHeaderParser()
        #expect(done.feed(bytes("PROXY UNKNOWN\r\nabc")) == .done(unknown, consumed: 15))
        #expect(done.feed(bytes("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n")) == .done(unknown, consumed: 0))

        var invalid = ProxyHeaderParser()
        #expect(invalid.feed(bytes("hello")) == .invalid("not a PROXY header"))
        #expect(invalid.feed(bytes("PROXY UNKNOWN\r\n")) == .invalid("not a PROXY header"))
    }
}

extension ProxyHeaderParser {
    /// Tests feed byte arrays.
    fileprivate mutating func feed(_ bytes: [UInt8]) -> Outcome {
        bytes.withUnsafeBytes { feed($0) }
    }
}
