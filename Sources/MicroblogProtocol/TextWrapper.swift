import MicroblogModel
import MicroblogSupport

/// Wraps text for a terminal of a known width (from telnet NAWS), at word boundaries, with a hanging
/// indent: a post's continuation lines start under its text, after `author: `. A pure function.
/// Colour escape sequences (`ESC [ ... m`) take no columns.
public enum TextWrapper {
    /// `text` (lines ending in CR LF) with each line longer than `width` columns broken into several.
    public static func wrap(_ text: String, width: Int) -> String {
        guard width >= 20 else { return text }
        var result = ""
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            if !result.isEmpty { result += "\r\n" }
            result += wrapLine(String(line), width: width)
        }
        return result
    }

    /// The same for UTF-8 bytes (a rendered message).
    public static func wrap(_ bytes: [UInt8], width: Int) -> [UInt8] {
        Array(wrap(String(decoding: bytes, as: UTF8.self), width: width).utf8)
    }

    /// One line (no CR LF in it) wrapped to `width` at words, continuation lines `indent` columns in.
    public static func wrap(line: String, width: Int, indent: Int) -> String {
        wrapLine(line, width: max(20, width), indent: min(indent, width / 2))
    }

    /// Wraps a list's lines (`  NAME    text`, as `/help` writes them; CR LF ends each) to `width`:
    /// continuation lines start under the text after the first run of two or more blanks that follows
    /// the line's own indentation, when that is in the first half of the line; else two columns in.
    /// Words are never cut unless one is longer than a line.
    public static func wrapList(_ bytes: [UInt8], width: Int) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        var result = ""
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            if !result.isEmpty { result += "\r\n" }
            let characters = Array(line)
            let lead = characters.prefix { $0 == " " }.count
            var indent = lead + 2
            var index = lead
            while index + 1 < characters.count {
                if characters[index] == " " && characters[index + 1] == " " {
                    var end = index
                    while end < characters.count && characters[end] == " " { end += 1 }
                    let column = columns(characters[..<end])
                    if column <= width / 2 { indent = column }
                    break
                }
                index += 1
            }
            result += wrapLine(String(line), width: max(20, width), indent: indent)
        }
        return Array(result.utf8)
    }

    private static func wrapLine(_ line: String, width: Int, indent fixedIndent: Int? = nil) -> String {
        let characters = Array(line)
        guard columns(characters[...]) > width else { return line }
        // Continuation lines start under the text: after the first ": " in the first half of the line.
        var indent = 2
        if let fixedIndent {
            indent = fixedIndent
        } else if let colon = line.firstRange(of: ": ") {
            let prefix = columns(Array(line[..<colon.upperBound])[...])
            if prefix <= width / 2 { indent = prefix }
        }
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
