import Foundation
import Testing

@testable import MicroblogServer

/// `--help` (walked from `Options.table`) and the option tables of the docs say the same: every option has
/// one row in docs/operations.md, with the default `--help` shows, the secure doors (TLS, SSH) `--help`
/// names, every number `--help` gives, and the unit its placeholder stands for; README's rows are a
/// summary that says nothing `--help` does not; Protocol.md's limits show each limit's default.
@Suite("Options: --help and the docs agree")
struct OptionsDocumentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// One row of an options table: the options of its first column, its default and its meaning.
    struct Row {
        var synopses: [String]
        var defaults: [String]
        var meaning: String
        var text: String { defaults.joined(separator: " ") + " " + meaning }
    }

    /// The option rows (first cell starting with `` `-- ``) of the tables in `path` between `start` and `end`.
    static func rows(in path: String, from start: String, to end: String) throws -> [Row] {
        let document = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        let from = try #require(document.range(of: start), "\(path) has no \(start)")
        let to = try #require(document.range(of: end, range: from.upperBound..<document.endIndex), "\(path): \(end)")
        return document[from.upperBound..<to.lowerBound].split(separator: "\n").filter { $0.hasPrefix("| `-") }
            .map { line in
                let cells = ProtocolDocumentTests.cells(line)
                let synopses = ProtocolDocumentTests.codeSpans(cells[0])
                let defaultCell = cells[1].replacing("`", with: "")
                // A row of two options (`--post-rate R`, `--post-burst N`) gives two defaults: `1, 10`.
                let defaults =
                    synopses.count > 1 && !defaultCell.isEmpty
                    ? defaultCell.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    : Array(repeating: defaultCell, count: synopses.count)
                return Row(synopses: synopses, defaults: defaults, meaning: cells.dropFirst(2).joined(separator: " "))
            }
    }

    static func guideRows() throws -> [Row] {
        try rows(in: "docs/operations.md", from: "\n## Options\n", to: "\nOnce it accepts connections")
    }

    /// The option `synopsis` (`--port PORT`, `--help`) names, if any.
    static func option(_ synopsis: String) -> Option? { Options.table.first { $0.synopsis == synopsis } }

    /// An option's help, without what depends on the machine it runs on (`--send-threads`' count here).
    static func help(_ option: Option) -> String {
        option.help.joined(separator: " ").replacing(
            "\(ServerConfiguration.defaultSendThreads) on this machine", with: "")
    }

    /// The secure doors a text names.
    static func doors(_ text: String) -> Set<String> { Set(["TLS", "SSH"].filter { text.contains($0) }) }

    /// The numbers a text gives (`80`, `0.0.0.0`, `262144`; `10,000` as `10000`).
    static func numbers(_ text: String) -> Set<String> {
        Set(
            text.replacing(/([0-9]),([0-9]{3})/) { "\($0.output.1)\($0.output.2)" }.matches(of: /[0-9]+(\.[0-9]+)*/)
                .map { String($0.output.0) })
    }

    /// How the docs write an option without a default: nothing, `none`, or `off` for a switch.
    static let noDefault: Set<String> = ["", "none", "off"]

    @Test func everyOptionHasOneRowInTheGuideAndEveryRowIsAnOption() throws {
        let rows = try Self.guideRows()
        let documented = rows.flatMap(\.synopses)
        #expect(Set(documented).count == documented.count, "an option with two rows: \(documented)")
        let missing = Options.table.map(\.synopsis).filter { !documented.contains($0) }
        #expect(missing.isEmpty, "in --help, not in docs/operations.md: \(missing)")
        let unknown = documented.filter { Self.option($0) == nil }
        #expect(unknown.isEmpty, "in docs/operations.md, not an option (or not as --help writes it): \(unknown)")
    }

    @Test func theGuideShowsTheDefaultsDoorsNumbersAndUnitsOfTheHelp() throws {
        for row in try Self.guideRows() {
            for (synopsis, shown) in zip(row.synopses, row.defaults) {
                guard let option = Self.option(synopsis) else { continue }
                if let value = option.defaultValue {
                    #expect(shown == value, "\(synopsis): docs/operations.md's default \(shown), --help's \(value)")
                } else {
                    #expect(Self.noDefault.contains(shown), "\(synopsis): --help shows no default, the docs \(shown)")
                }
                let help = Self.help(option)
                #expect(
                    Self.doors(row.meaning) == Self.doors(help),
                    "\(synopsis): the docs name \(Self.doors(row.meaning).sorted()), --help \(Self.doors(help).sorted())"
                )
                let missing = Self.numbers(help).subtracting(Self.numbers(row.text))
                #expect(missing.isEmpty, "\(synopsis): --help says \(missing.sorted()), docs/operations.md does not")
                switch synopsis.split(separator: " ").last {
                case "S":
                    #expect(help.contains("seconds") && row.meaning.contains("seconds"), "\(synopsis): seconds")
                case "R":
                    #expect(help.contains("per second") && row.meaning.contains("per second"), "\(synopsis)")
                default: break
                }
            }
        }
    }

    /// README's table is the most used options in brief: each is an option, with --help's default, and
    /// names no door or number that --help does not.
    @Test func theReadmeSaysNothingTheHelpDoesNot() throws {
        let rows = try Self.rows(in: "README.md", from: "\n## Options\n", to: "\nEvery option and limit")
        #expect(rows.count >= 10)
        for row in rows {
            for (synopsis, shown) in zip(row.synopses, row.defaults) {
                let option = try #require(Self.option(synopsis), "README's \(synopsis) is not as --help writes it")
                if let value = option.defaultValue {
                    #expect(shown == value, "\(synopsis): README's default \(shown), --help's \(value)")
                } else {
                    #expect(Self.noDefault.contains(shown), "\(synopsis): --help shows no default, README \(shown)")
                }
                let help = Self.help(option) + " " + (option.defaultValue ?? "")
                let doors = Self.doors(row.meaning).subtracting(Self.doors(help))
                #expect(doors.isEmpty, "\(synopsis): README names \(doors.sorted()), --help does not")
                let numbers = Self.numbers(row.meaning).subtracting(Self.numbers(help))
                #expect(numbers.isEmpty, "\(synopsis): README says \(numbers.sorted()), --help does not")
            }
        }
    }

    /// Protocol.md §9's limits show each limit's default (`10,000`, `closed after 10 s`).
    @Test func theProtocolsLimitsShowTheDefaults() throws {
        let document = try String(contentsOf: Self.root.appendingPathComponent("Protocol.md"), encoding: .utf8)
        let start = try #require(document.range(of: "\n## 9. Limits\n"))
        let end = try #require(document.range(of: "\nFixed limits:", range: start.upperBound..<document.endIndex))
        var checked = 0
        for line in document[start.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("|") {
            let cells = ProtocolDocumentTests.cells(line)
            guard cells.count == 3 else { continue }
            for name in ProtocolDocumentTests.codeSpans(cells[2]) {
                let option = try #require(Options.table.first { $0.name == name }, "Protocol.md §9: \(name)")
                let value = try #require(option.defaultValue, "\(name) has no default")
                #expect(
                    Self.numbers(cells[1]).contains(value), "\(name): Protocol.md says \(cells[1]), --help \(value)")
                checked += 1
            }
        }
        #expect(checked >= 18)
    }
}
