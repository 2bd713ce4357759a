import MicroblogModel
import MicroblogSupport

/// Where a wrapped line's continuation lines start: the hanging indent of each kind of line. Every
/// kind falls back to two columns past the line's own indentation when its column would be past half
/// the width (too little room would be left for the text).
public enum HangingIndent: Sendable, Equatable {
    /// Under the text after the line's first `: `: a post's text after `#45 12:04 bob: `, a direct
    /// message's, a profile's bio.
    case underText
    /// Under the text after the first run of two or more blanks that follows the line's own
    /// indentation: a list's description (`/help`'s summary, `/stats`' value).
    case underColumn
    /// Two columns past the line's own indentation: under the text after `* `, `! ` or `~ `.
    case twoColumns
}

/// Wraps text for a terminal `width` columns wide, at word boundaries, with a hanging indent (see
/// `HangingIndent`). A pure function. Colour escape sequences (`ESC [ ... m`) take no columns. Words
/// are never cut, unless one is longer than a whole line.
public enum TextWrapper {
    /// The width text is wrapped to when the terminal has not said its own (nc, line-mode telnet
    /// without NAWS, SSH without a PTY): the classic terminal's 80 columns.
    public static let defaultWidth = 80
    /// Narrower than this, nothing is wrapped: a window so narrow is most likely misreported.
    public static let minimumWidth = 20

    /// `bytes` (UTF-8 lines ending in CR LF) with each line wider than `width` columns broken into
    /// several, continuation lines indented as `indent` says. Bytes that need no change are returned as
    /// they are (the same array), found without decoding them.
    public static func wrap(_ bytes: [UInt8], width: Int, indent: HangingIndent) -> [UInt8] {
        guard width >= minimumWidth, anyLine(of: bytes, longerThan: width) else { return bytes }
        return Array(wrap(String(decoding: bytes, as: UTF8.self), width: width, indent: indent).utf8)
    }

    /// The same for a string.
    public static func wrap(_ text: String, width: Int, indent: HangingIndent) -> String {
        guard width >= minimumWidth else { return text }
        var result = ""
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            if !result.isEmpty { result += "\r\n" }
            let characters = Array(line)
            result += wrapLine(characters, width: width, indent: column(of: indent, in: characters, width: width))
        }
        return result
    }

    /// One line (no CR LF in it) wrapped to `width` at words, continuation lines `indent` columns in.
    public static func wrap(line: String, width: Int, indent: Int) -> String {
        let width = max(minimumWidth, width)
        return wrapLine(Array(line), width: width, indent: min(indent, width / 2))
    }

    /// True when some line of `bytes` may be wider than `width` columns: it holds more bytes than that
    /// (a character takes at least as many bytes as columns).
    private static func anyLine(of bytes: [UInt8], longerThan width: Int) -> Bool {
        var length = 0
        for byte in bytes {
            if byte == 10 {
                length = 0
            } else if byte != 13 {
                length += 1
                if length > width { return true }
            }
        }
        return false
    }

    /// The column continuation lines of `line` start at.
    private static func column(of indent: HangingIndent, in line: [Character], width: Int) -> Int {
        let lead = line.prefix { $0 == " " }.count
        let fallback = min(lead + 2, width / 2)
        switch indent {
        case .twoColumns:
            return fallback
        case .underText:
            var index = lead
            while index + 1 < line.count {
                if line[index] == ":" && line[index + 1] == " " {
                    let column = columns(line[...(index + 1)])
                    return column <= width / 2 ? column : fallback
                }
                index += 1
            }
            return fallback
        case .underColumn:
            var index = lead
            while index + 1 < line.count {
                if line[index] == " " && line[index + 1] == " " {
                    var end = index
                    while end < line.count && line[end] == " " { end += 1 }
                    let column = columns(line[..<end])
                    return column <= width / 2 ? column : fallback
                }
                index += 1
            }
            return fallback
        }
    }

    private static func wrapLine(_ characters: [Character], width: Int, indent: Int) -> String {
        guard columns(characters[...]) > width else { return String(characters) }
        var lines: [String] = []
        var current: [Character] = []
        var currentWidth = 0
        var word: [Character] = []
        func flushWord() {
            let wordWidth = columns(word[...])
            if currentWidth + wordWidth > width && currentWidth > indent {
                // Break before the word; drop the blank that ended the line.
                while current.last == " " {
                    current.removeLast()
                }
                lines.append(String(current))
                current = Array(repeating: " ", count: indent)
                currentWidth = indent
                while word.first == " " { word.removeFirst() }
            }
            for character in word {
                let characterWidth = columns([character][...])
                if currentWidth + characterWidth > width {  // a word longer than a line: cut it
                    lines.append(String(current))
                    current = Array(repeating: " ", count: indent)
                    currentWidth = indent
                }
                current.append(character)
                currentWidth += characterWidth
            }
            word.removeAll()
        }
        for character in characters {
            if character == " " && !word.isEmpty && word.last != " " { flushWord() }
            word.append(character)
        }
        flushWord()
        lines.append(String(current))
        return lines.joined(separator: "\r\n")
    }

    /// Terminal columns, leaving out colour escape sequences.
    static func columns(_ characters: ArraySlice<Character>) -> Int {
        var total = 0
        var inEscape = false
        for character in characters {
            if character == "\u{1B}" {
                inEscape = true
            } else if inEscape {
                if let scalar = character.unicodeScalars.first, (0x40...0x7E).contains(scalar.value), character != "[" {
                    inEscape = false
                }
            } else {
                total += LineEditor.columns(character)
            }
        }
        return total
    }
}
