import MicroblogModel
import MicroblogSupport

/// Server-side line editing for a telnet client in character mode: keys in, what to show out.
///
/// A pure state machine over data bytes (telnet commands already removed). It keeps the line being
/// typed as `Character`s (so Backspace erases a whole character, however many bytes or scalars it
/// has) and the cursor, and redraws the whole input line after each change, which any terminal gets
/// right: CR, the prompt, the text, erase to the end of the line, then the cursor moved back into place.
///
/// Keys: printable text (UTF-8, split anywhere across reads), Enter (CR, with its LF or NUL dropped),
/// Backspace/DEL and Ctrl-H, Ctrl-U (erase the line), Ctrl-W (erase a word), Left/Right, Home/End (and
/// Ctrl-A/Ctrl-E), Up/Down through this session's earlier lines, Ctrl-C (drop the line; at a password
/// prompt, cancel it), Ctrl-D (as readline: delete the character under the cursor; on an empty line,
/// end the session with `/quit`, or cancel a password prompt). Other control keys and unknown escape
/// sequences are ignored.
public struct LineEditor: Sendable {
    public enum Action: Equatable, Sendable {
        /// Bytes to send to the terminal.
        case show([UInt8])
        /// A finished line (its text, without the line end).
        case line(String)
        /// Tab was pressed after `word` (`/he`, `@al`): answer with `complete(with:)`, which also goes on
        /// with any keys that came after the Tab.
        case complete(String)
    }

    public var prompt: String
    /// When set (a password), each character shows as this instead.
    public var mask: Character?
    /// The terminal's width in columns, when known: a longer line scrolls sideways around the cursor.
    public var width: Int?
    public private(set) var text: [Character] = []
    public private(set) var cursor = 0
    public static let maxHistory = 50
    public let maxBytes: Int

    private var history: [String] = []
    private var historyIndex: Int?
    private var pending: [UInt8] = []  // an incomplete UTF-8 sequence or escape sequence
    private var afterCR = false
    /// Keys that came after a Tab, kept until its completion is known.
    private var stash: [UInt8] = []

    public init(prompt: String = "> ", maxBytes: Int = 4096) {
        self.prompt = prompt
        self.maxBytes = maxBytes
    }

    /// Feeds data bytes (telnet commands already removed) and returns what to do, in order.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [Action] where Bytes.Element == UInt8 {
        var actions: [Action] = []
        var changed = false
        let bytes = Array(bytes)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if !pending.isEmpty || byte == 0x1B || byte >= 0x80 {
                pending.append(byte)
                changed = consumePending(&actions) || changed
                continue
            }
            if afterCR && (byte == 0x0A || byte == 0x00) {
                afterCR = false
                continue
            }
            afterCR = false
            if byte == 0x09 && mask == nil {
                // Tab: the rest waits until the completion is known.
                if changed { actions.append(.show(redraw())) }
                stash = Array(bytes[index...])
                actions.append(.complete(wordBeforeCursor))
                return actions
            }
            press(byte, changed: &changed, actions: &actions)
        }
        if changed { actions.append(.show(redraw())) }
        return actions
    }

    /// One ASCII key (not Tab): Enter, the keys that end or cancel the line, printable text, or an editing key.
    /// `changed` says whether the input line needs a redraw before what comes next.
    private mutating func press(_ byte: UInt8, changed: inout Bool, actions: inout [Action]) {
        switch byte {
        case 0x0D, 0x0A:
            afterCR = byte == 0x0D
            enter(changed: changed, &actions)
            changed = false
        case 0x03 where mask != nil, 0x04 where mask != nil && text.isEmpty:
            // Ctrl-C or Ctrl-D at a password prompt: an empty answer, which cancels it.
            text.removeAll()
            cursor = 0
            actions.append(.show(redraw() + [13, 10]))
            changed = false
            actions.append(.line(""))
        case 0x04 where text.isEmpty:  // Ctrl-D on an empty line: the end, as readline's EOF
            if changed { actions.append(.show(redraw())) }
            changed = false
            actions.append(.show([13, 10]))
            actions.append(.line(Self.endOfInputLine))
        case 0x20...0x7E:
            changed = insert(Character(Unicode.Scalar(byte))) || changed
        default:
            changed = edit(byte) || changed
        }
    }

    /// Enter: shows the whole line as sent, remembers it in the history, and hands it over.
    private mutating func enter(changed: Bool, _ actions: inout [Action]) {
        // A line longer than the window was shown scrolled: show all of it, as it was sent.
        if isScrolled {
            actions.append(.show(wholeLine()))
        } else if changed {
            actions.append(.show(redraw()))
        }
        actions.append(.show([13, 10]))
        let line = String(text)
        if mask == nil && !line.isEmpty && history.last != line {
            history.append(line)
            if history.count > Self.maxHistory { history.removeFirst() }
        }
        historyIndex = nil
        text.removeAll()
        cursor = 0
        actions.append(.line(line))
    }

    /// An editing control key (Backspace, Ctrl-U, Ctrl-W, Ctrl-A, Ctrl-E, Ctrl-C, Ctrl-D within the line);
    /// true when the line or cursor changed. Other controls are ignored.
    private mutating func edit(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x08, 0x7F:
            guard cursor > 0 else { return false }
            text.remove(at: cursor - 1)
            cursor -= 1
        case 0x15:  // Ctrl-U
            text.removeAll()
            cursor = 0
        case 0x17:  // Ctrl-W: blanks before the cursor, then the word
            var start = cursor
            while start > 0, text[start - 1] == " " { start -= 1 }
            while start > 0, text[start - 1] != " " { start -= 1 }
            text.removeSubrange(start..<cursor)
            cursor = start
        case 0x01:  // Ctrl-A
            cursor = 0
        case 0x05:  // Ctrl-E
            cursor = text.count
        case 0x03:  // Ctrl-C
            text.removeAll()
            cursor = 0
        case 0x04:  // Ctrl-D: delete the character under the cursor
            guard cursor < text.count else { return false }
            text.remove(at: cursor)
        default:
            return false  // other controls
        }
        return true
    }

    /// The line Ctrl-D on an empty line stands for.
    public static let endOfInputLine = "/quit"

    /// Adds lines sent before this editor existed (typed in line mode) to the Up/Down history.
    public mutating func remember(_ lines: [String]) {
        for line in lines where !line.isEmpty && history.last != line { history.append(line) }
        if history.count > Self.maxHistory { history.removeFirst(history.count - Self.maxHistory) }
    }

    /// True when the text is too wide for the window and shown scrolled sideways.
    private var isScrolled: Bool {
        guard let width else { return false }
        let visible = mask.map { mask in Array(repeating: mask, count: text.count) } ?? text
        return Self.width(of: visible, masked: false) > max(4, width - Self.width(of: Array(prompt), masked: false) - 1)
    }

    /// The prompt and the whole text, wrapped to the window at words (continuation lines under the
    /// text), in place of the scrolled input line.
    private func wholeLine() -> [UInt8] {
        let visible = mask.map { mask in String(repeating: mask, count: text.count) } ?? String(text)
        let indent = Self.width(of: Array(prompt), masked: false)
        let wrapped = TextWrapper.wrap(line: prompt + visible, width: width ?? TextWrapper.defaultWidth, indent: indent)
        return Self.clearLine + Array(wrapped.utf8)
    }

    /// The word the cursor ends: from the last blank before it.
    var wordBeforeCursor: String {
        var start = cursor
        while start > 0, text[start - 1] != " " { start -= 1 }
        return String(text[start..<cursor])
    }

    /// Completes the word before the cursor from `candidates` (the ones it starts, in the order given):
    /// one match is filled in with a blank after it; several are extended to what they share, and listed
    /// when that adds nothing (see `listing`). Then the keys that followed the Tab are handled.
    public mutating func complete(with candidates: [String]) -> [Action] {
        let word = wordBeforeCursor
        let matches = candidates.filter { $0.lowercased().hasPrefix(word.lowercased()) }
        var actions: [Action] = []
        if matches.count == 1, let match = matches.first {
            replaceWord(word, with: match + " ")
            actions.append(.show(redraw()))
        } else if let first = matches.first {
            let shared = matches.dropFirst().reduce(first) { common, next in
                String(zip(common, next).prefix { $0.lowercased() == $1.lowercased() }.map(\.0))
            }
            if shared.count > word.count {
                replaceWord(word, with: shared)
                actions.append(.show(redraw()))
            } else {
                let list = Self.listing(matches, width: width ?? TextWrapper.defaultWidth)
                actions.append(.show(Self.clearLine + Array(list.utf8) + redraw()))
            }
        }
        let rest = stash
        stash = []
        return actions + feed(rest)
    }

    /// The most rows a Tab listing takes; the rest is counted on its last row.
    public static let maxListRows = 6

    /// `items` laid out for a `width`-column terminal: separated by two blanks, a row broken only
    /// between items, the rows after the first indented by two (a hanging indent), at most
    /// `maxListRows` rows, each ending in CR LF.
    static func listing(_ items: [String], width: Int) -> String {
        var rows: [String] = []
        var row: [String] = []
        func rowWidth(_ row: [String]) -> Int {
            let indent = rows.isEmpty ? 0 : 2
            return indent + row.reduce(0) { $0 + Self.width(of: Array($1), masked: false) } + 2 * max(0, row.count - 1)
        }
        func text(_ row: [String]) -> String { (rows.isEmpty ? "" : "  ") + row.joined(separator: "  ") }
        for (index, item) in items.enumerated() {
            if !row.isEmpty && rowWidth(row + [item]) > width {
                if rows.count == maxListRows - 1 {
                    // No room for all: the last row says how many are left out.
                    var left = items.count - index
                    while row.count > 1 && rowWidth(row) + 2 + "(\(left) more)".count > width {
                        row.removeLast()
                        left += 1
                    }
                    return rows.joined() + text(row) + "  (\(left) more)\r\n"
                }
                rows.append(text(row) + "\r\n")
                row = []
            }
            row.append(item)
        }
        return rows.joined() + text(row) + "\r\n"
    }

    private mutating func replaceWord(_ word: String, with replacement: String) {
        let start = cursor - word.count
        text.replaceSubrange(start..<cursor, with: Array(replacement))
        cursor = start + replacement.count
    }

    /// Consumes `pending` when it holds a whole UTF-8 character or escape sequence; true if the line changed.
    private mutating func consumePending(_ actions: inout [Action]) -> Bool {
        if pending[0] == 0x1B {
            // ESC [ X, or ESC [ digits ~, or ESC O X.
            guard pending.count >= 2 else { return false }
            guard pending[1] == UInt8(ascii: "[") || pending[1] == UInt8(ascii: "O") else {
                pending.removeAll()
                return false
            }
            guard let last = pending.last, pending.count >= 3, (0x40...0x7E).contains(last) else {
                if pending.count > 8 { pending.removeAll() }
                return false
            }
            let sequence = pending
            pending.removeAll()
            return key(sequence)
        }
        let expected: Int
        switch pending[0] {
        case 0xC0...0xDF: expected = 2
        case 0xE0...0xEF: expected = 3
        case 0xF0...0xF7: expected = 4
        default:
            pending.removeAll()  // a stray continuation byte
            return false
        }
        guard pending.count >= expected else { return false }
        let bytes = pending
        pending.removeAll()
        guard let string = String(validating: bytes, as: UTF8.self) else { return false }
        var changed = false
        for scalar in string.unicodeScalars where !TextSafety.isForbidden(scalar) {
            changed = insertScalar(scalar) || changed
        }
        return changed
    }

    private mutating func key(_ sequence: [UInt8]) -> Bool {
        let code = String(decoding: sequence.dropFirst(2), as: UTF8.self)
        switch code {
        case "D":
            cursor = max(0, cursor - 1)
        case "C":
            cursor = min(text.count, cursor + 1)
        case "H", "1~", "7~":
            cursor = 0
        case "F", "4~", "8~":
            cursor = text.count
        case "3~":  // Delete
            if cursor < text.count { text.remove(at: cursor) }
        case "A":
            guard !history.isEmpty, mask == nil else { return false }
            let index = max(0, (historyIndex ?? history.count) - 1)
            historyIndex = index
            text = Array(history[index])
            cursor = text.count
        case "B":
            guard let index = historyIndex, mask == nil else { return false }
            if index + 1 < history.count {
                historyIndex = index + 1
                text = Array(history[index + 1])
            } else {
                historyIndex = nil
                text = []
            }
            cursor = text.count
        default:
            return false
        }
        return true
    }

    /// Inserts a scalar: it joins the character before the cursor when Unicode says so (a combining
    /// accent, a joined emoji), else it is a character of its own.
    private mutating func insertScalar(_ scalar: Unicode.Scalar) -> Bool {
        if cursor > 0 {
            let joined = String(text[cursor - 1]) + String(scalar)
            if joined.count == 1 {
                guard String(text).utf8.count + String(scalar).utf8.count <= maxBytes else { return false }
                text[cursor - 1] = Character(joined)
                return true
            }
        }
        return insert(Character(scalar))
    }

    private mutating func insert(_ character: Character) -> Bool {
        guard String(text).utf8.count + String(character).utf8.count <= maxBytes else { return false }
        text.insert(character, at: cursor)
        cursor += 1
        return true
    }

    /// The bytes that draw the prompt and input afresh with the cursor in place.
    public func redraw() -> [UInt8] {
        let visible = mask.map { mask in Array(repeating: mask, count: text.count) } ?? text
        var start = 0
        var end = visible.count
        if let width {
            // Room for the text: the width less the prompt and one column for the cursor at the end.
            let room = max(4, width - Self.width(of: Array(prompt), masked: false) - 1)
            if Self.width(of: visible, masked: false) > room {
                // Keep the cursor in view: scroll so that it sits near the right edge, then fill.
                start = cursor
                while start > 0, Self.width(of: visible[(start - 1)..<cursor], masked: false) <= room { start -= 1 }
                end = cursor
                while end < visible.count, Self.width(of: visible[start...end], masked: false) <= room { end += 1 }
            }
        }
        let shown = String(visible[start..<end])
        var bytes: [UInt8] = [13] + Array(prompt.utf8) + Array(shown.utf8) + Array("\u{1B}[K".utf8)
        let back = Self.width(of: visible[cursor..<max(cursor, end)], masked: false)
        if back > 0 { bytes += Array("\u{1B}[\(back)D".utf8) }
        return bytes
    }

    /// The bytes that clear the input line, so something else can be printed where it was.
    public static let clearLine: [UInt8] = [13] + Array("\u{1B}[K".utf8)

    /// Terminal columns of `characters`: East Asian wide characters and emoji take two.
    static func width<C: Collection>(of characters: C, masked: Bool) -> Int where C.Element == Character {
        characters.reduce(0) { sum, character in sum + (masked ? 1 : columns(character)) }
    }

    static func columns(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        if character.unicodeScalars.count > 1 && scalar.properties.isEmojiPresentation { return 2 }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F300...0x1FAFF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }
}
