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

@Suite("TerminalCodec: bytes in, lines and answers out; messages out, as the terminal shows them")
struct TerminalCodecTests {
    private let iac = Telnet.iac
    private let echo = Telnet.optionEcho
    private let sga = Telnet.optionSuppressGoAhead
    private let naws = Telnet.optionWindowSize

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func lines(_ events: [TerminalCodec.Event]) -> [String] {
        events.compactMap {
            if case .line(let line) = $0 { return String(decoding: line, as: UTF8.self) } else { return nil }
        }
    }

    private func sent(_ events: [TerminalCodec.Event]) -> [UInt8] {
        events.flatMap { event -> [UInt8] in if case .send(let bytes) = event { return bytes } else { return [] } }
    }

    /// A codec in character mode, negotiated as a telnet client would.
    private func characterMode(width: Int? = nil) -> TerminalCodec {
        var codec = TerminalCodec()
        _ = codec.decode(bytes("hello\r\n"))
        _ = codec.probeTelnet()
        _ = codec.decode([iac, Telnet.do, echo, iac, Telnet.do, sga])
        if let width { _ = codec.decode([iac, Telnet.sb, naws, 0, UInt8(width), 0, 24, iac, Telnet.se]) }
        return codec
    }

    @Test func linesPassThroughAndTelnetIsAnswered() {
        var codec = TerminalCodec()
        let events = codec.decode(bytes("one\ntwo\r\n") + [iac, Telnet.do, 24, iac, Telnet.will, 24] + bytes("x"))
        #expect(lines(events) == ["one", "two"])
        #expect(sent(events) == [iac, Telnet.wont, 24, iac, Telnet.dont, 24])
        #expect(codec.finish() == bytes("x"))
        // A program reading JSON gets no telnet answers; its lines still arrive.
        var quiet = TerminalCodec()
        let quietEvents = quiet.decode([iac, Telnet.do, 24] + bytes("a\n"), answeringTelnet: false)
        #expect(quietEvents == [.line(bytes("a"))])
    }

    @Test func aytIsAnEventAndOverlongLinesAreReported() {
        var codec = TerminalCodec(configuration: .init(maxLineBytes: 4))
        let events = codec.decode([iac, Telnet.ayt] + bytes("abcdef\nok\n"))
        #expect(events == [.areYouThere, .lineTooLong, .line(bytes("ok"))])
        // A program reading JSON is never answered, not even "are you there".
        var quiet = TerminalCodec()
        #expect(quiet.decode([iac, Telnet.ayt] + bytes("ok\n"), answeringTelnet: false) == [.line(bytes("ok"))])
    }

    @Test func characterModeIsOfferedOnlyToTelnetClientsInTextMode() {
        let offer = [
            iac, Telnet.will, echo, iac, Telnet.will, sga, iac, Telnet.do, naws, iac, Telnet.will,
            Telnet.optionBinary, iac, Telnet.do, Telnet.optionBinary,
        ]
        var codec = TerminalCodec()
        _ = codec.decode(bytes("netcat ends lines with LF\n"))
        #expect(!codec.isTelnetLike)
        #expect(codec.offerCharacterModeIfTelnet(textMode: true) == nil)
        #expect(!codec.needsTelnetProbe(textMode: true))
        // CR LF alone (the Linux telnet client on a port other than 23, or nc -C): probed, not offered.
        _ = codec.decode(bytes("telnet with CR LF\r\n"))
        #expect(codec.isTelnetLike)
        #expect(codec.offerCharacterModeIfTelnet(textMode: true) == nil)
        #expect(!codec.needsTelnetProbe(textMode: false))
        #expect(codec.needsTelnetProbe(textMode: true))
        // The offer, then CR ESC [K, which erases what a terminal behind nc -C would show of it.
        #expect(codec.probeTelnet() == offer + bytes("\r\u{1B}[K"))
        // Probed once.
        #expect(!codec.needsTelnetProbe(textMode: true))
        #expect(!codec.probeAnswered && !codec.isCharacterMode)
        // The client agrees: once the slice is handed over, the input line is drawn.
        let events = codec.decode([iac, Telnet.do, echo, iac, Telnet.do, sga])
        #expect(events == [.send(bytes("\r> \u{1B}[K"))])
        #expect(codec.probeAnswered && codec.isCharacterMode)

        // A client that sends a telnet command of its own is offered character mode at once, unprobed.
        var negotiating = TerminalCodec()
        _ = negotiating.decode([iac, Telnet.will, naws])
        #expect(!negotiating.needsTelnetProbe(textMode: true))
        #expect(negotiating.offerCharacterModeIfTelnet(textMode: true) == offer)

        var off = TerminalCodec(configuration: .init(offersCharacterMode: false))
        _ = off.decode(bytes("telnet\r\n"))
        #expect(off.offerCharacterModeIfTelnet(textMode: true) == nil)
        #expect(!off.needsTelnetProbe(textMode: true))
    }

    /// `nc -C` ends lines with CR LF and never answers the probe: from then on it is no telnet client, and
    /// is sent no telnet byte again.
    @Test func anUnansweredProbeMakesTheClientNoTelnetClient() {
        var codec = TerminalCodec()
        _ = codec.decode(bytes("/who\r\n"))
        _ = codec.probeTelnet()
        codec.probeUnanswered()
        #expect(!codec.isTelnetLike && !codec.probeAnswered)
        #expect(codec.hideInput(prompt: "Password: ") == .visible)
        #expect(codec.showInput() == [])
        #expect(codec.offerCharacterModeIfTelnet(textMode: true) == nil)
        #expect(!codec.needsTelnetProbe(textMode: true))
        var leaving = codec
        #expect(leaving.leaveCharacterMode() == [])
        #expect(codec.decode(bytes("more\r\n")) == [.line(bytes("more"))])
        // A late answer (a telnet client on a slow link): it speaks telnet after all, and character mode
        // starts.
        #expect(codec.decode([iac, Telnet.do, echo, iac, Telnet.do, sga]) == [.send(bytes("\r> \u{1B}[K"))])
        #expect(codec.isTelnetLike && codec.isCharacterMode)
    }

    @Test func aRefusalIsRememberedAndReportedWhenAskedFor() {
        var codec = TerminalCodec()
        _ = codec.decode(bytes("hi\r\n"))
        _ = codec.probeTelnet()
        // Refused unasked: nothing to say, and no second offer.
        #expect(codec.decode([iac, Telnet.dont, echo]) == [])
        #expect(codec.offerCharacterModeIfTelnet(textMode: true) == nil)
        // Asked for by hand and refused again: the person is told. (The client's BINARY, asked for with the
        // first offer and given up with it, is asked for again.)
        #expect(codec.requestCharacterMode() == [iac, Telnet.will, echo, iac, Telnet.do, Telnet.optionBinary])
        let events = codec.decode([iac, Telnet.dont, echo])
        #expect(events.contains(.characterModeRefused))
        #expect(!codec.isCharacterMode)
    }

    /// Leaving character mode ends BINARY both ways: left on, the Linux telnet client in line mode prints
    /// each reply where the typed line ended.
    @Test func leavingCharacterModeEndsBinaryBothWays() {
        var codec = TerminalCodec()
        _ = codec.decode(bytes("hi\r\n"))
        _ = codec.probeTelnet()
        _ = codec.decode([
            iac, Telnet.do, echo, iac, Telnet.do, sga, iac, Telnet.do, Telnet.optionBinary, iac, Telnet.will,
            Telnet.optionBinary,
        ])
        #expect(codec.isCharacterMode)
        let left = codec.chooseLineMode()
        #expect(left.suffix(6) == [iac, Telnet.wont, Telnet.optionBinary, iac, Telnet.dont, Telnet.optionBinary])
        // An unasked WILL BINARY afterwards is refused.
        #expect(
            codec.decode([iac, Telnet.will, Telnet.optionBinary]) == [.send([iac, Telnet.dont, Telnet.optionBinary])])
    }

    @Test func windowSizeComesFromNAWSAndNarrowReportsAreIgnored() {
        var codec = TerminalCodec()
        _ = codec.decode([iac, Telnet.sb, naws, 0, 80, 0, 24, iac, Telnet.se])
        #expect(codec.windowWidth == 80)
        _ = codec.decode([iac, Telnet.sb, naws, 1, 44, 0, 50, iac, Telnet.se])
        #expect(codec.windowWidth == 300)
        _ = codec.decode([iac, Telnet.sb, naws, 0, 10, 0, 24, iac, Telnet.se])
        #expect(codec.windowWidth == nil)
    }

    @Test func keysAreEchoedAndMessagesRedrawTheInputLine() {
        var codec = characterMode()
        #expect(codec.decode(bytes("hi")) == [.send(bytes("\r> hi\u{1B}[K"))])
        // A message clears the half-typed line, then draws it again under itself.
        #expect(codec.frame(wrapped: bytes("* notice\r\n")) == bytes("\r\u{1B}[K* notice\r\n\r> hi\u{1B}[K"))
        let events = codec.decode(bytes("\r\0"))
        #expect(lines(events) == ["hi"])
        #expect(sent(events) == [13, 10])
    }

    @Test func halfALineTypedBeforeCharacterModeMovesIntoTheEditor() {
        var codec = TerminalCodec()
        _ = codec.decode(bytes("hi\r\n"))
        _ = codec.probeTelnet()
        let events = codec.decode(bytes("ab") + [iac, Telnet.do, echo, iac, Telnet.do, sga])
        #expect(events == [.send(bytes("\r> ab\u{1B}[K"))])
        #expect(lines(codec.decode(bytes("c\r"))) == ["abc"])
    }

    @Test func tabAsksForCompletionsAndTheKeysAfterItWait() {
        var codec = characterMode()
        var asked: [String] = []
        let events = codec.decode(bytes("/he\tx\r")) { word, line in
            asked.append("\(word)|\(line)")
            return ["/help", "/feed"]
        }
        #expect(asked == ["/he|/he"])
        #expect(lines(events) == ["/help x"])
        // Unanswered, a Tab completes to nothing and typing goes on.
        codec.receive(bytes("@al\tz\r"))
        var pulled: [TerminalCodec.Event] = []
        while let event = codec.nextEvent() { pulled.append(event) }
        #expect(lines(pulled) == ["@alz"])
    }

    @Test func passwordsAreMaskedInCharacterModeAndHiddenByEchoInLineMode() {
        var codec = characterMode()
        #expect(codec.hideInput(prompt: "Password: ") == .masked(bytes("\rPassword: \u{1B}[K")))
        #expect(codec.decode(bytes("ab")) == [.send(bytes("\rPassword: **\u{1B}[K"))])
        #expect(lines(codec.decode(bytes("\r"))) == ["ab"])
        #expect(codec.showInput() == [])
        #expect(codec.decode(bytes("ab")) == [.send(bytes("\r> ab\u{1B}[K"))])

        var line = TerminalCodec(configuration: .init(offersCharacterMode: false))
        _ = line.decode(bytes("telnet\r\n"))
        #expect(line.hideInput(prompt: "Password: ") == .echoOff([iac, Telnet.will, echo]))
        _ = line.decode([iac, Telnet.do, echo])
        #expect(line.showInput() == [iac, Telnet.wont, echo, 13, 10])

        var netcat = TerminalCodec()
        _ = netcat.decode(bytes("nc\n"))
        #expect(netcat.hideInput(prompt: "Password: ") == .visible)
        #expect(netcat.showInput() == [])
    }

    @Test func characterModeEnteredDuringAPromptStartsMasked() {
        var codec = TerminalCodec()
        _ = codec.decode(bytes("hi\r\n"))
        _ = codec.probeTelnet()
        #expect(codec.hideInput(prompt: "Password: ") == .echoOff([]))  // WILL ECHO is already on its way
        let events = codec.decode([iac, Telnet.do, echo, iac, Telnet.do, sga])
        #expect(events == [.send(bytes("\rPassword: \u{1B}[K"))])
    }

    @Test func leavingCharacterModeClearsTheLineAndGivesEchoBack() {
        var codec = characterMode()
        _ = codec.decode(bytes("x"))
        #expect(
            codec.chooseLineMode() == LineEditor.clearLine + [iac, Telnet.wont, echo, iac, Telnet.wont, sga])
        #expect(!codec.isCharacterMode)
        #expect(codec.frame(wrapped: bytes("plain\r\n")) == bytes("plain\r\n"))
        // Chosen by hand: not offered again.
        #expect(codec.offerCharacterModeIfTelnet(textMode: true) == nil)
    }

    @Test func textIsWrappedToTheWindowOr80ColumnsInEitherMode() {
        var codec = characterMode(width: 30)
        #expect(codec.textWidth == 30)
        #expect(codec.frame(wrapped: bytes("w\r\n")) == LineEditor.clearLine + bytes("w\r\n\r> \u{1B}[K"))
        _ = codec.chooseLineMode()
        // Line mode keeps the window's width; nothing is drawn around a message.
        #expect(codec.textWidth == 30)
        #expect(codec.frame(wrapped: bytes("w\r\n")) == bytes("w\r\n"))
        // A terminal that never said its width (nc) gets the classic 80 columns.
        #expect(TerminalCodec().textWidth == 80)
    }

    @Test func aStreamWithoutTelnetTakesEveryByteAsData() {
        var codec = TerminalCodec(configuration: .init(telnet: false))
        let events = codec.decode(bytes("a") + [iac, Telnet.do, echo] + bytes("\r\n"))
        #expect(events == [.line(bytes("a") + [iac, Telnet.do, echo])])
        // CR LF does not make it a telnet client, so nothing is offered.
        #expect(!codec.isTelnetLike)
        #expect(codec.offerCharacterModeIfTelnet(textMode: true) == nil)
        #expect(codec.hideInput(prompt: "Password: ") == .visible)
        _ = codec.showInput()
        // Its own layer (an SSH channel's PTY) gives the window size and starts line editing.
        codec.setWindowSize(columns: 30)
        #expect(codec.enterCharacterMode() == bytes("\r> \u{1B}[K"))
        #expect(codec.decode(bytes("h") + [iac]) == [.send(bytes("\r> h\u{1B}[K"))])
        #expect(codec.textWidth == 30)
        #expect(codec.hideInput(prompt: "Password: ") == .masked(bytes("\rPassword: *\u{1B}[K")))
        // Leaving sends no telnet either.
        _ = codec.showInput()
        #expect(codec.leaveCharacterMode() == LineEditor.clearLine)
    }
}
