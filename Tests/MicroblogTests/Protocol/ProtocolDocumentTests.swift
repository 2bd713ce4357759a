import Foundation
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

/// Protocol.md §5's command table and the registry say the same: every command in both, each usage form
/// of the registry in the table's first column and nothing else there, and the access the `who` column
/// gives the same as the entry's. `/help`, Tab, the access checks and the document so share one source.
@Suite("Protocol.md and the command registry")
struct ProtocolDocumentTests {
    /// One row of the table: the usage forms of its first column and its `who` column.
    struct Row {
        var forms: [String]
        var who: String
    }

    /// The rows of the table in Protocol.md §5 (between its heading and §5.1).
    static func commandTableRows() throws -> [Row] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let document = try String(contentsOf: root.appendingPathComponent("Protocol.md"), encoding: .utf8)
        let start = try #require(document.range(of: "\n## 5. Commands\n"), "Protocol.md has no §5")
        let end = try #require(document.range(of: "\n### 5.1 ", range: start.upperBound..<document.endIndex))
        let lines = document[start.upperBound..<end.lowerBound].split(separator: "\n").filter { $0.hasPrefix("|") }
        let header = try #require(lines.first.map(cells))
        #expect(header.prefix(2) == ["command", "who"], "the table's first columns: \(header)")
        return lines.dropFirst().filter { !$0.hasPrefix("|---") }.map { line in
            let columns = cells(line)
            return Row(forms: codeSpans(columns.first ?? ""), who: columns.count > 1 ? columns[1] : "")
        }
    }

    /// A table line's cells, split at each `|` that is not escaped as `\|`, with `\|` read as `|`.
    static func cells(_ line: Substring) -> [String] {
        var cells: [String] = []
        var cell = ""
        var escaped = false
        for character in line.dropFirst() {
            if escaped {
                cell.append(character == "|" ? "|" : "\\\(character)")
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                cells.append(cell.trimmingCharacters(in: .whitespaces))
                cell = ""
            } else {
                cell.append(character)
            }
        }
        return cells
    }

    /// The text of each `code span` in `cell`.
    static func codeSpans(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
            .map { String($0.element) }
    }

    /// How the `who` column writes an access.
    static func who(_ access: CommandAccess) -> String {
        switch access {
        case .anyone: return "anyone"
        case .account: return "account"
        case .administrator: return "admin"
        }
    }

    @Test func theTableShowsEveryUsageOfEveryCommandAndNoOther() throws {
        let rows = try Self.commandTableRows()
        var registry: [String: CommandSpec] = [:]
        for spec in CommandTable.all {
            for form in spec.usage { registry[form] = spec }
        }
        let shown = rows.flatMap(\.forms)
        #expect(Set(shown).count == shown.count, "a form shown twice: \(shown)")
        let missing = CommandTable.all.flatMap(\.usage).filter { !shown.contains($0) }
        #expect(missing.isEmpty, "in the registry, not in Protocol.md §5: \(missing)")
        let unknown = shown.filter { registry[$0] == nil }
        #expect(unknown.isEmpty, "in Protocol.md §5, not a usage in the registry: \(unknown)")
        let named = Set(shown.compactMap { registry[$0]?.name })
        let absent = CommandTable.all.map(\.name).filter { !named.contains($0) }
        #expect(absent.isEmpty, "commands of the registry that Protocol.md §5 does not show: \(absent)")
    }

    @Test func theWhoColumnIsTheAccessOfTheRegistry() throws {
        for row in try Self.commandTableRows() {
            #expect(!row.forms.isEmpty, "a row without a usage")
            for form in row.forms {
                guard let spec = CommandTable.all.first(where: { $0.usage.contains(form) }) else { continue }
                #expect(row.who == Self.who(spec.access), "`\(form)`: Protocol.md says \(row.who)")
            }
        }
    }

    /// The check itself: it reads escaped bars and code spans as Protocol.md writes them.
    @Test func cellsAndCodeSpansAreReadAsMarkdownWritesThem() {
        #expect(Self.cells("| `/mode text\\|json` | anyone | a \\| b |") == ["`/mode text|json`", "anyone", "a | b"])
        #expect(Self.codeSpans("`TEXT`, `/post TEXT`, `//TEXT`") == ["TEXT", "/post TEXT", "//TEXT"])
    }
}
