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

/// The decoder's contract, byte by byte: line ends, telnet commands, editing, the line limit.
@Suite struct LineDecoderTests {
    private let iac = Telnet.iac

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func line(_ text: String) -> InputEvent { .line(Array(text.utf8)) }

    private func decodeAll(_ input: [UInt8], maxLineBytes: Int = 4096) -> [InputEvent] {
        var decoder = LineDecoder(maxLineBytes: maxLineBytes)
        return decoder.decode(input)
    }

    // MARK: - Line ends

    @Test func lfEndsALine() {
        #expect(decodeAll(bytes("hello\nworld\n")) == [line("hello"), line("world")])
    }

    @Test func crlfEndsALineOnce() {
        #expect(decodeAll(bytes("hello\r\nworld\r\n")) == [line("hello"), line("world")])
    }

    @Test func crNulEndsALineOnce() {
        #expect(decodeAll(bytes("hello") + [13, 0] + bytes("world") + [13, 0]) == [line("hello"), line("world")])
    }

    @Test func loneCREndsALineAtOnce() {
        var decoder = LineDecoder()
        #expect(decoder.decode(bytes("hello\r")) == [line("hello")])
        #expect(decoder.decode(bytes("world\r")) == [line("world")])
        #expect(decoder.sawCRLF == false)
    }

    @Test func crAndLFInSeparateReadsAreOneTerminator() {
        var decoder = LineDecoder()
        #expect(decoder.decode(bytes("hello\r")) == [line("hello")])
        #expect(decoder.decode(bytes("\nworld\r")) == [line("world")])
        #expect(decoder.decode(bytes("\n")) == [])
        #expect(decoder.sawCRLF)
    }

    @Test func crAndNulInSeparateReadsAreOneTerminator() {
        var decoder = LineDecoder()
        #expect(decoder.decode(bytes("hello\r")) == [line("hello")])
        #expect(decoder.decode([0] + bytes("next\n")) == [line("next")])
        #expect(decoder.sawCRLF)
    }

    @Test func emptyLinesAreReported() {
        #expect(decodeAll(bytes("\n\r\n\r\r\n")) == [line(""), line(""), line(""), line("")])
    }

    @Test func lfAfterLFIsAnEmptyLine() {
        // Only an LF that follows a CR is swallowed.
        #expect(decodeAll(bytes("a\n\nb\n")) == [line("a"), line(""), line("b")])
    }

    @Test func unterminatedLineIsHeldNotEmitted() {
        var decoder = LineDecoder()
        #expect(decoder.decode(bytes("partial")) == [])
        #expect(decoder.pendingByteCount == 7)
        #expect(decoder.decode(bytes(" line\n")) == [line("partial line")])
        #expect(decoder.pendingByteCount == 0)
    }

    @Test func nulBytesAreDropped() {
        #expect(decodeAll([0] + bytes("a") + [0, 0] + bytes("b") + [0] + bytes("\n")) == [line("ab")])
    }

    // MARK: - Flags

    @Test func eotAsALinesFirstByteIsCtrlDAtOnce() {
        // Alone, with no line end after it, as a line-mode telnet client sends Ctrl-D on an empty line.
        #expect(decodeAll([4]) == [.endOfTransmission])
        #expect(decodeAll(bytes("/who\r\n") + [4]) == [line("/who"), .endOfTransmission])
        // Within a line it is a byte of the line, which is neither cut short nor ended by it.
        #expect(decodeAll(bytes("hello\u{4}world\n")) == [line("hello\u{4}world")])
        #expect(decodeAll(bytes("abc") + [4] + bytes("\r\n")) == [line("abc\u{4}")])
        // Nor while an overlong line is being discarded.
        #expect(decodeAll(bytes("abcdef") + [4] + bytes("\n"), maxLineBytes: 4) == [.lineTooLong])
    }

    @Test func sawCRLFOnlyForCRLFOrCRNul() {
        var lfOnly = LineDecoder()
        _ = lfOnly.decode(bytes("a\nb\n"))
        #expect(lfOnly.sawCRLF == false)

        var crlf = LineDecoder()
        _ = crlf.decode(bytes("a\r\n"))
        #expect(crlf.sawCRLF)

        var crNul = LineDecoder()
        _ = crNul.decode(bytes("a") + [13, 0])
        #expect(crNul.sawCRLF)

        var crThenText = LineDecoder()
        _ = crThenText.decode(bytes("a\rb\r"))
        #expect(crThenText.sawCRLF == false)
    }

    @Test func sawTelnetOnlyAfterATelnetCommand() {
        var decoder = LineDecoder()
        _ = decoder.decode(bytes("plain text\r\n") + [0])
        #expect(decoder.sawTelnet == false)
        _ = decoder.decode([iac, Telnet.nop])
        #expect(decoder.sawTelnet)

        var negotiating = LineDecoder()
        _ = negotiating.decode([iac, Telnet.do, Telnet.optionSuppressGoAhead])
        #expect(negotiating.sawTelnet)

        var subnegotiating = LineDecoder()
        _ = subnegotiating.decode([iac, Telnet.sb, 24, 0, iac, Telnet.se])
        #expect(subnegotiating.sawTelnet)
    }

    // MARK: - Telnet commands

    @Test func iacIacIsADataByte() {
        #expect(decodeAll(bytes("a") + [iac, iac] + bytes("b\r\n")) == [.line([97, 255, 98])])
    }

    @Test func iacIacSplitAcrossReads() {
        var decoder = LineDecoder()
        #expect(decoder.decode(bytes("a") + [iac]) == [])
        #expect(decoder.decode([iac] + bytes("\n")) == [.line([97, 255])])
    }

    @Test func negotiationsAreEventsAndLeaveTheLineAlone() {
        let input =
            bytes("he") + [iac, Telnet.will, 24] + bytes("l") + [iac, Telnet.wont, 31] + bytes("l")
            + [iac, Telnet.do, 1] + bytes("o") + [iac, Telnet.dont, 3] + bytes("\r\n")
        #expect(
            decodeAll(input) == [
                .telnet(.will(24)), .telnet(.wont(31)), .telnet(.do(1)), .telnet(.dont(3)), line("hello"),
            ])
    }

    @Test func negotiationSplitAtEveryByte() {
        var decoder = LineDecoder()
        #expect(decoder.decode([iac]) == [])
        #expect(decoder.decode([Telnet.do]) == [])
        #expect(decoder.decode([Telnet.optionEcho]) == [.telnet(.do(Telnet.optionEcho))])
    }

    @Test func optionByteMayBeAnyValue() {
        // The byte after WILL is the option, even when it is 255 or CR; it is not data.
        #expect(
            decodeAll([iac, Telnet.will, 255, iac, Telnet.do, 13] + bytes("x\n")) == [
                .telnet(.will(255)), .telnet(.do(13)), line("x"),
            ])
    }

    @Test func subnegotiationWithEscapedIAC() {
        let input = [iac, Telnet.sb, 24, 0] + bytes("a") + [iac, iac] + bytes("b") + [iac, Telnet.se] + bytes("ok\n")
        #expect(
            decodeAll(input) == [
                .telnet(.subnegotiation(option: 24, data: [0, 97, 255, 98])), line("ok"),
            ])
    }

    @Test func subnegotiationSwallowsLineEnds() {
        let input = [iac, Telnet.sb, 31] + bytes("\r\n\n") + [iac, Telnet.se] + bytes("ok\n")
        #expect(decodeAll(input) == [.telnet(.subnegotiation(option: 31, data: [13, 10, 10])), line("ok")])
    }

    @Test func subnegotiationDataIsCappedAtTheLimit() {
        var decoder = LineDecoder(maxLineBytes: 100, maxSubnegotiationBytes: 8)
        let input = [iac, Telnet.sb, 24] + [UInt8](repeating: 65, count: 50) + [iac, Telnet.se]
        #expect(decoder.decode(input) == [.telnet(.subnegotiation(option: 24, data: [UInt8](repeating: 65, count: 8)))])
    }

    @Test func malformedSubnegotiationIsDroppedAndDataResumes() {
        // IAC followed by neither SE nor IAC inside SB: the subnegotiation (and that byte) is dropped,
        // and what follows is ordinary data again.
        let input = [iac, Telnet.sb, 24, 1, 2, iac] + bytes("Xhi\r\nnext\r\n")
        #expect(decodeAll(input) == [line("hi"), line("next")])
    }

    @Test func iacSEOutsideASubnegotiationIsAnOtherCommand() {
        #expect(decodeAll([iac, Telnet.se] + bytes("a\n")) == [.telnet(.other(Telnet.se)), line("a")])
    }

    @Test func aytAndOtherTwoByteCommandsAreOther() {
        let input = bytes("a") + [iac, Telnet.ayt, iac, Telnet.nop, iac, Telnet.ip, iac, Telnet.ga] + bytes("b\n")
        #expect(
            decodeAll(input) == [
                .telnet(.other(Telnet.ayt)), .telnet(.other(Telnet.nop)), .telnet(.other(Telnet.ip)),
                .telnet(.other(Telnet.ga)), line("ab"),
            ])
    }

    // MARK: - Editing

    @Test func eraseCharacterRemovesTheLastASCIIByte() {
        #expect(decodeAll(bytes("abc") + [iac, Telnet.ec] + bytes("d\n")) == [line("abd")])
    }

    @Test func eraseCharacterRemovesAWholeMultiByteScalar() {
        #expect(decodeAll(bytes("caf\u{E9}") + [iac, Telnet.ec] + bytes("e\n")) == [line("cafe")])
        #expect(decodeAll(bytes("a\u{20AC}") + [iac, Telnet.ec] + bytes("\n")) == [line("a")])
        #expect(decodeAll(bytes("a\u{1F600}") + [iac, Telnet.ec] + bytes("\n")) == [line("a")])
    }

    @Test func eraseCharacterRemovesOneScalarAtATime() {
        // "e" + COMBINING ACUTE ACCENT: one erase removes the accent only.
        #expect(decodeAll(bytes("xe\u{301}") + [iac, Telnet.ec] + bytes("\n")) == [line("xe")])
        #expect(decodeAll(bytes("ab\u{E9}") + [iac, Telnet.ec, iac, Telnet.ec] + bytes("\n")) == [line("a")])
    }

    @Test func eraseCharacterOnAnEmptyLineDoesNothing() {
        #expect(decodeAll([iac, Telnet.ec, iac, Telnet.ec] + bytes("ok\n")) == [line("ok")])
        #expect(decodeAll(bytes("a\n") + [iac, Telnet.ec] + bytes("b\n")) == [line("a"), line("b")])
    }

    @Test func eraseLineClearsTheLineSoFar() {
        #expect(decodeAll(bytes("wrong") + [iac, Telnet.el] + bytes("right\n")) == [line("right")])
        #expect(decodeAll(bytes("gone") + [iac, Telnet.el] + bytes("\n")) == [line("")])
    }

    // MARK: - The line limit

    @Test func lineAtTheLimitIsFine() {
        #expect(decodeAll(bytes("abcd\n"), maxLineBytes: 4) == [line("abcd")])
    }

    @Test func overlongLineIsReportedOnceAsSoonAsTheLimitIsCrossed() {
        var decoder = LineDecoder(maxLineBytes: 4)
        #expect(decoder.decode(bytes("abcd")) == [])
        #expect(decoder.decode(bytes("e")) == [.lineTooLong])
        #expect(decoder.decode(bytes("fghijklmnop")) == [])
        #expect(decoder.pendingByteCount == 0)
        #expect(decoder.decode(bytes("qrs\r\n")) == [])
        #expect(decoder.decode(bytes("ok\r\n")) == [line("ok")])
    }

    @Test func overlongLineEndedByLoneCRThenNextLine() {
        #expect(decodeAll(bytes("abcdefgh\rxy\r"), maxLineBytes: 4) == [.lineTooLong, line("xy")])
    }

    @Test func escapedIACCountsTowardTheLimit() {
        #expect(
            decodeAll([iac, iac, iac, iac, iac, iac] + bytes("\nok\n"), maxLineBytes: 2) == [.lineTooLong, line("ok")])
    }

    @Test func editingCannotReviveADiscardedLine() {
        let input = bytes("abcdef") + [iac, Telnet.el] + bytes("x") + [iac, Telnet.ec] + bytes("\nok\n")
        #expect(decodeAll(input, maxLineBytes: 4) == [.lineTooLong, line("ok")])
    }

    @Test func telnetCommandsInsideAnOverlongLineAreStillReported() {
        let input = bytes("abcdef") + [iac, Telnet.do, 1] + bytes("gh\nok\n")
        #expect(decodeAll(input, maxLineBytes: 4) == [.lineTooLong, .telnet(.do(1)), line("ok")])
    }

    @Test func erasingKeepsALineUnderTheLimit() {
        #expect(decodeAll(bytes("abcd") + [iac, Telnet.ec] + bytes("e\n"), maxLineBytes: 4) == [line("abce")])
    }

    // MARK: - Properties over random input

    /// Whole, split at random points, and byte by byte, the same input gives the same events; and
    /// lines stay within the limit and free of CR and LF.
    @Test func splittingNeverChangesTheEvents() {
        var random = SplitMix64(seed: 0x5EED_1234)
        let maxLineBytes = 12
        for _ in 0..<2_000 {
            let input = randomInput(&random, telnet: true)

            var whole = LineDecoder(maxLineBytes: maxLineBytes, maxSubnegotiationBytes: 6)
            let expected = whole.decode(input)

            var split = LineDecoder(maxLineBytes: maxLineBytes, maxSubnegotiationBytes: 6)
            var splitEvents: [InputEvent] = []
            var start = 0
            while start < input.count {
                // Some reads are empty, as a zero-length read can be.
                let end = min(input.count, start + Int(random.next() % 6))
                splitEvents += split.decode(input[start..<end])
                start = end
            }

            var single = LineDecoder(maxLineBytes: maxLineBytes, maxSubnegotiationBytes: 6)
            var singleEvents: [InputEvent] = []
            for byte in input { singleEvents += single.decode([byte]) }

            let linesAreClean = expected.allSatisfy { event in
                guard case .line(let line) = event else { return true }
                return line.count <= maxLineBytes && !line.contains(13) && !line.contains(10)
            }
            let agree =
                splitEvents == expected && singleEvents == expected
                && split.sawCRLF == whole.sawCRLF && single.sawCRLF == whole.sawCRLF
                && split.sawTelnet == whole.sawTelnet && single.sawTelnet == whole.sawTelnet
            if !agree || !linesAreClean {
                // One clear report, not two thousand.
                #expect(splitEvents == expected, "input \(input)")
                #expect(singleEvents == expected, "input \(input)")
                #expect(split.sawCRLF == whole.sawCRLF && single.sawCRLF == whole.sawCRLF, "input \(input)")
                #expect(split.sawTelnet == whole.sawTelnet && single.sawTelnet == whole.sawTelnet, "input \(input)")
                #expect(linesAreClean, "lines over \(maxLineBytes) bytes or holding CR/LF: \(expected)")
                return
            }
        }
    }

    /// Without IAC, the decoder agrees with a simple reference that splits the input by lookahead.
    @Test func plainInputMatchesAReferenceSplitter() {
        var random = SplitMix64(seed: 42)
        let maxLineBytes = 12
        for _ in 0..<2_000 {
            let input = randomInput(&random, telnet: false)
            var decoder = LineDecoder(maxLineBytes: maxLineBytes)
            var events: [InputEvent] = []
            var start = 0
            while start < input.count {
                let end = min(input.count, start + 1 + Int(random.next() % 5))
                events += decoder.decode(input[start..<end])
                start = end
            }
            let expected = referenceEvents(input, maxLineBytes: maxLineBytes)
            if events != expected {
                #expect(events == expected, "input \(input)")
                return
            }
        }
    }

    private static let telnetHeavyAlphabet: [UInt8] = [
        255, 255, 255, 250, 240, 251, 252, 253, 254, 247, 248, 246, 13, 13, 10, 10, 0, 1, 24,
    ]
    private static let plainAlphabet: [UInt8] = [13, 13, 10, 10, 0, 0x20, 0xC3, 0xA9]

    private func randomInput(_ random: inout SplitMix64, telnet: Bool) -> [UInt8] {
        let count = Int(random.next() % 64)
        let special = telnet ? Self.telnetHeavyAlphabet : Self.plainAlphabet
        return (0..<count).map { _ in
            if random.next() % 2 == 0 {
                return special[Int(random.next() % UInt64(special.count))]
            }
            return UInt8(ascii: "a") + UInt8(random.next() % 26)
        }
    }

    /// Splits IAC-free input into lines by looking ahead, not by keeping state between bytes.
    private func referenceEvents(_ input: [UInt8], maxLineBytes: Int) -> [InputEvent] {
        var events: [InputEvent] = []
        var current: [UInt8] = []
        func finish() {
            events.append(current.count > maxLineBytes ? .lineTooLong : .line(current))
            current = []
        }
        var index = 0
        while index < input.count {
            switch input[index] {
            case 13:
                finish()
                if index + 1 < input.count && (input[index + 1] == 10 || input[index + 1] == 0) { index += 1 }
            case 10:
                finish()
            case 0:
                break
            default:
                current.append(input[index])
            }
            index += 1
        }
        if current.count > maxLineBytes { events.append(.lineTooLong) }
        return events
    }
}
