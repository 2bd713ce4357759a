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

@Suite struct LineEditorTests {
    private func typed(_ editor: inout LineEditor, _ text: String) -> [LineEditor.Action] {
        editor.feed(Array(text.utf8))
    }

    private func lines(_ actions: [LineEditor.Action]) -> [String] {
        actions.compactMap { if case .line(let line) = $0 { return line } else { return nil } }
    }

    @Test func typingEchoesAndEnterGivesTheLine() {
        var editor = LineEditor(prompt: "> ")
        let actions = typed(&editor, "hi")
        #expect(actions == [.show(Array("\r> hi\u{1B}[K".utf8))])
        #expect(lines(typed(&editor, "\r\0")) == ["hi"])
        #expect(editor.text.isEmpty)
        // CR LF is one line end, even split across reads.
        #expect(lines(typed(&editor, "a\r")) == ["a"])
        #expect(lines(typed(&editor, "\nb\n")) == ["b"])
    }

    @Test func backspaceErasesWholeCharacters() {
        var editor = LineEditor()
        _ = editor.feed(Array("café 👨‍👩‍👧".utf8))
        #expect(editor.text.count == 6)
        _ = editor.feed([0x7F])
        #expect(String(editor.text) == "café ")
        _ = editor.feed([0x7F, 0x7F])
        #expect(String(editor.text) == "caf")
        // A combining accent typed after its letter joins it; one Backspace takes both.
        _ = editor.feed(Array("e\u{301}".utf8))
        #expect(editor.text.count == 4)
        _ = editor.feed([0x08])
        #expect(String(editor.text) == "caf")
    }

    @Test func utf8AndEscapesSplitAcrossReads() {
        var editor = LineEditor()
        let bytes = Array("é".utf8)
        _ = editor.feed([bytes[0]])
        #expect(editor.text.isEmpty)
        _ = editor.feed([bytes[1]])
        #expect(String(editor.text) == "é")
        _ = editor.feed([0x1B])
        _ = editor.feed([UInt8(ascii: "[")])
        _ = editor.feed([UInt8(ascii: "D")])
        #expect(editor.cursor == 0)
    }

    @Test func cursorMovesAndEditsInTheMiddle() {
        var editor = LineEditor(prompt: "")
        _ = typed(&editor, "helo")
        _ = typed(&editor, "\u{1B}[D")  // Left
        _ = typed(&editor, "l")
        #expect(String(editor.text) == "hello" && editor.cursor == 4)
        // The redraw puts the cursor back one column from the end.
        #expect(editor.redraw() == Array("\rhello\u{1B}[K\u{1B}[1D".utf8))
        _ = typed(&editor, "\u{1B}[H")
        #expect(editor.cursor == 0)
        _ = typed(&editor, "\u{1B}[F")
        #expect(editor.cursor == 5)
        _ = editor.feed([0x01])  // Ctrl-A
        #expect(editor.cursor == 0)
        _ = editor.feed([0x05])  // Ctrl-E
        #expect(editor.cursor == 5)
    }

    @Test func wideCharactersTakeTwoColumns() {
        var editor = LineEditor(prompt: "")
        _ = typed(&editor, "日本x")
        _ = typed(&editor, "\u{1B}[D\u{1B}[D")
        #expect(editor.redraw() == Array("\r日本x\u{1B}[K\u{1B}[3D".utf8))
    }

    @Test func ctrlUAndCtrlWAndCtrlC() {
        var editor = LineEditor()
        _ = typed(&editor, "one two  three")
        _ = editor.feed([0x17])
        #expect(String(editor.text) == "one two  ")
        _ = editor.feed([0x17])
        #expect(String(editor.text) == "one ")
        _ = editor.feed([0x15])
        #expect(editor.text.isEmpty)
        _ = typed(&editor, "oops")
        _ = editor.feed([0x03])
        #expect(editor.text.isEmpty)
    }

    @Test func historyGoesUpAndDown() {
        var editor = LineEditor()
        _ = typed(&editor, "first\r")
        _ = typed(&editor, "second\r")
        _ = typed(&editor, "\u{1B}[A")
        #expect(String(editor.text) == "second")
        _ = typed(&editor, "\u{1B}[A\u{1B}[A")
        #expect(String(editor.text) == "first")
        _ = typed(&editor, "\u{1B}[B")
        #expect(String(editor.text) == "second")
        _ = typed(&editor, "\u{1B}[B")
        #expect(editor.text.isEmpty)
    }

    @Test func aMaskHidesPasswordsAndKeepsThemOutOfHistory() {
        var editor = LineEditor(prompt: "Password: ")
        editor.mask = "*"
        let actions = typed(&editor, "secret")
        #expect(actions == [.show(Array("\rPassword: ******\u{1B}[K".utf8))])
        #expect(lines(typed(&editor, "\r")) == ["secret"])
        _ = typed(&editor, "\u{1B}[A")
        #expect(editor.text.isEmpty)
    }

    @Test func controlsAndForbiddenCharactersAreNotInserted() {
        var editor = LineEditor()
        _ = editor.feed([0x07, 0x0B, 0x0C])
        _ = typed(&editor, "a\u{202E}b")
        #expect(String(editor.text) == "ab")
    }

    @Test func tabCompletesFromCandidates() {
        var editor = LineEditor(prompt: "")
        var actions = typed(&editor, "/he\tx")
        #expect(actions.last == .complete("/he"))
        // The key after the Tab waits for the completion.
        actions = editor.complete(with: ["/help", "/who"])
        #expect(String(editor.text) == "/help x")
        _ = typed(&editor, "\u{15}hi @a")
        _ = typed(&editor, "\t")
        _ = editor.complete(with: ["@alice", "@alan", "@bob"])
        #expect(String(editor.text) == "hi @al")
        // Nothing more to add: the candidates are listed above the line, in the order given (online
        // people first), and the line is redrawn.
        _ = typed(&editor, "\t")
        actions = editor.complete(with: ["@alice", "@alan", "@bob"])
        #expect(actions == [.show(LineEditor.clearLine + Array("@alice  @alan\r\n".utf8) + editor.redraw())])
        _ = typed(&editor, "i\t")
        _ = editor.complete(with: ["@alice", "@alan"])
        #expect(String(editor.text) == "hi @alice ")
    }

    @Test func deleteAndTheOtherHomeEndSpellings() {
        var editor = LineEditor(prompt: "")
        _ = typed(&editor, "abc")
        _ = typed(&editor, "\u{1B}[1~")  // Home (VT)
        #expect(editor.cursor == 0)
        _ = typed(&editor, "\u{1B}[3~")  // Delete
        #expect(String(editor.text) == "bc")
        _ = typed(&editor, "\u{1B}[4~")  // End (VT)
        #expect(editor.cursor == 2)
        _ = typed(&editor, "\u{1B}OH")  // Home (application mode)
        #expect(editor.cursor == 0)
        _ = typed(&editor, "\u{1B}[Z")  // an unknown sequence changes nothing
        #expect(String(editor.text) == "bc" && editor.cursor == 0)
    }

    @Test func aWideLineScrollsToKeepTheCursorInView() {
        var editor = LineEditor(prompt: "> ")
        editor.width = 12
        _ = typed(&editor, "abcdefghijklmnop")
        // 12 columns: the prompt, 9 characters, and the cursor's column.
        #expect(editor.redraw() == Array("\r> hijklmnop\u{1B}[K".utf8))
        _ = typed(&editor, "\u{1B}[H")
        #expect(editor.redraw() == Array("\r> abcdefghi\u{1B}[K\u{1B}[9D".utf8))
    }
}
