import Foundation
import MicroblogModel
import MicroblogSupport

/// The community's rules or message of the day (`--motd FILE`), made fit for the greeting: control and
/// other unshowable characters replaced (a tab becomes a blank), blank lines at either end dropped, each
/// line broken at blanks so that `* ` and the line fit `width` columns, and at most `maxLines` lines.
/// Pure but for `load`.
public enum Motd {
    /// Lines of the greeting the message may take, after wrapping.
    public static let maxLines = 20
    /// The columns every greeting line fits before the window's width is known.
    public static let width = TextWrapper.defaultWidth

    /// Reads and prepares the file (UTF-8; invalid bytes are replaced).
    public static func load(path: String) throws(MotdError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MotdError("cannot read the --motd file \(path): there is no such file")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw MotdError("cannot read the --motd file \(path): not a readable file")
        }
        return lines(from: String(decoding: data, as: UTF8.self))
    }

    public static func lines(from text: String) -> [String] {
        let textWidth = width - 2  // after "* "
        var result: [String] = []
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let cleaned = TextSafety.printable(raw.replacing("\t", with: " ").replacing("\r", with: ""))
            var line = String(cleaned.reversed().drop(while: { $0 == " " }).reversed())
            if line.isEmpty {
                result.append("")
                continue
            }
            while TextWrapper.columns(Array(line)[...]) > textWidth {
                let (head, tail) = split(line, at: textWidth)
                result.append(head)
                line = tail
            }
            result.append(line)
        }
        while result.first?.isEmpty == true { result.removeFirst() }
        while result.last?.isEmpty == true { result.removeLast() }
        return Array(result.prefix(maxLines))
    }

    /// The longest head of `line` that fits `columns`, broken at its last blank if it has one, and the rest
    /// (without the blanks at the break).
    private static func split(_ line: String, at columns: Int) -> (String, String) {
        let characters = Array(line)
        var used = 0
        var end = 0
        while end < characters.count, used + LineEditor.columns(characters[end]) <= columns {
            used += LineEditor.columns(characters[end])
            end += 1
        }
        end = max(end, 1)  // a character wider than the line still moves on
        var cut = end
        if let blank = characters[..<end].lastIndex(of: " "), blank > 0 { cut = blank }
        let head = String(characters[..<cut]).reversed().drop(while: { $0 == " " }).reversed()
        let tail = characters[cut...].drop(while: { $0 == " " })
        return (String(head), String(tail))
    }
}

/// Why the message of the day could not be read, in words for the operator.
public struct MotdError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
