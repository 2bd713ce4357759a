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

/// Ctrl-D, Ctrl-C at a password prompt, history from before character mode, long lines and Tab listings.
@Suite struct LineEditorKeysTests {
    private func typed(_ editor: inout LineEditor, _ text: String) -> [LineEditor.Action] {
        editor.feed(Array(text.utf8))
    }

    private func lines(_ actions: [LineEditor.Action]) -> [String] {
        actions.compactMap { if case .line(let line) = $0 { return line } else { return nil } }
    }

    private func shown(_ actions: [LineEditor.Action]) -> String {
        String(
            decoding: actions.flatMap { if case .show(let bytes) = $0 { return bytes } else { return [] } },
            as: UTF8.self)
    }

    @Test func ctrlDDeletesUnderTheCursorOrEndsTheSessionOnAnEmptyLine() {
        var editor = LineEditor(prompt: "> ")
        _ = typed(&editor, "abc\u{1B}[D\u{1B}[D\u{04}")  // two left, then Ctrl-D
        #expect(String(editor.text) == "ac" && editor.cursor == 1)
        _ = typed(&editor, "\u{1B}[F\u{04}")  // at the end: nothing to delete, and the line is not empty
        #expect(String(editor.text) == "ac")
        #expect(lines(typed(&editor, "\u{15}\u{04}")) == [LineEditor.endOfInputLine])
        #expect(LineEditor.endOfInputLine == "/quit")
    }

    @Test func ctrlCOrCtrlDAtAPasswordPromptCancelsIt() {
        var editor = LineEditor(prompt: "Password: ")
        editor.mask = "*"
        _ = typed(&editor, "secr")
        let actions = typed(&editor, "\u{03}")
        // An empty answer, which every prompt takes as "cancel"; the prompt's line ends.
        #expect(lines(actions) == [""])
        #expect(shown(actions).hasSuffix("\r\n"))
        #expect(editor.text.isEmpty)
        #expect(lines(typed(&editor, "\u{04}")) == [""])
        // Outside a prompt, Ctrl-C only drops the line.
        editor.mask = nil
        _ = typed(&editor, "draft")
        #expect(lines(typed(&editor, "\u{03}")).isEmpty && editor.text.isEmpty)
    }

    @Test func linesFromBeforeCharacterModeAreInTheHistory() {
        var editor = LineEditor(prompt: "> ")
        editor.remember(["/register alice", "/who", "/who", ""])
        _ = typed(&editor, "\u{1B}[A")
        #expect(String(editor.text) == "/who")
        _ = typed(&editor, "\u{1B}[A")
        #expect(String(editor.text) == "/register alice")
    }

    @Test func theCodecKeepsLineModeLinesForCharacterMode() {
        var codec = TerminalCodec(configuration: .init())
        _ = codec.decode(Array("/who\r\n".utf8))
        codec.remember(line: "/who")
        codec.remember(line: "hello there")
        _ = codec.enterCharacterMode()
        let events = codec.decode(Array("\u{1B}[A\u{1B}[A\r".utf8))
        #expect(events.contains(.line(Array("/who".utf8))))
    }

    @Test func aLongLineIsShownWholeWhenSent() {
        var editor = LineEditor(prompt: "> ")
        editor.width = 20
        let text = "one two three four five six seven"
        _ = typed(&editor, text)
        // While typed it scrolls: the start is out of view.
        #expect(!String(decoding: editor.redraw(), as: UTF8.self).contains("one"))
        let actions = typed(&editor, "\r")
        #expect(lines(actions) == [text])
        let output = shown(actions)
        #expect(output.hasPrefix(String(decoding: LineEditor.clearLine, as: UTF8.self) + "> one two three"))
        // Wrapped at words, under the text, every line within the window.
        let rows = output.dropFirst(LineEditor.clearLine.count).split(separator: "\r\n").map(String.init)
        #expect(rows.count == 2, "\(rows)")
        #expect(rows.allSatisfy { $0.count <= 20 })
        #expect(rows[1].hasPrefix("  ") && !rows[1].hasPrefix("   "))
        #expect(rows.map { $0.trimmingPrefix(while: { $0 == " " || $0 == ">" }) }.joined(separator: " ") == text)
    }

    @Test func tabListingsFollowTheWidthWithAHangingIndent() {
        let items = (1...12).map { "/command\($0)" }
        let listing = LineEditor.listing(items, width: 40)
        let rows = listing.split(separator: "\r\n").map(String.init)
        #expect(listing.hasSuffix("\r\n"))
        #expect(rows.allSatisfy { $0.count <= 40 }, "\(rows)")
        #expect(rows.dropFirst().allSatisfy { $0.hasPrefix("  /") })
        // No item is broken, and every one is there.
        #expect(rows.flatMap { $0.split(separator: " ") }.map(String.init) == items)
        // Too many for the rows allowed: the last row counts the rest.
        let many = (1...200).map { "@user\($0)" }
        let long = LineEditor.listing(many, width: 80).split(separator: "\r\n").map(String.init)
        #expect(long.count == LineEditor.maxListRows)
        #expect(long.allSatisfy { $0.count <= 80 })
        let last = long[long.count - 1]
        let shownCount = long.flatMap { $0.split(separator: " ") }.filter { $0.hasPrefix("@") }.count
        #expect(last.hasSuffix("(\(200 - shownCount) more)"), "\(last)")
    }

    @Test func listsAreWrappedUnderTheirText() {
        let line =
            "  /feed [N]" + String(repeating: " ", count: 19)
            + "show posts, oldest first, and more words past the edge\r\n"
        let wrapped = String(decoding: TextWrapper.wrap(Array(line.utf8), width: 60, indent: .underColumn), as: UTF8.self)
        let rows = wrapped.split(separator: "\r\n").map(String.init)
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.count <= 60 })
        // The continuation starts under the summary (column 30), after the run of blanks.
        #expect(rows[1].hasPrefix(String(repeating: " ", count: 30)) && rows[1].dropFirst(30).first != " ")
        // A short line is left alone.
        let short = "  /who                        list who is online\r\n"
        #expect(TextWrapper.wrap(Array(short.utf8), width: 80, indent: .underColumn) == Array(short.utf8))
    }
}
