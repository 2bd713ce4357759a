import Foundation
import Testing

@testable import MicroblogProtocol

/// Every command a server message points to exists (issue 25: "each pointer leads to where the thing
/// is"): the `/word`s in the string literals of the layers that write to the wire are all commands.
@Suite struct CommandPointerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Paths, not commands, that literals may hold.
    static let notCommands: Set<String> = ["usr", "etc", "tmp", "dev", "proc", "ssh", "metrics"]

    @Test func everyCommandAMessageNamesExists() throws {
        let sources = ["Sources/MicroblogDomain", "Sources/MicroblogProtocol", "Sources/MicroblogServer"]
        let literal = try Regex(#""(?:[^"\\]|\\.)*""#)
        let pointer = try Regex(#"(?:^|[ (:`'])/([a-z][a-z-]*)"#)
        var named: [String: String] = [:]
        for folder in sources {
            let directory = Self.root.appendingPathComponent(folder)
            let files = FileManager.default.enumerator(atPath: directory.path)?.compactMap { $0 as? String } ?? []
            // The web door's literals are paths (`/tags/`, `/robots.txt`), not commands.
            for file in files where file.hasSuffix(".swift") && !file.hasPrefix("Web/") && file != "Doors/WebDoor.swift" {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//")
                {
                    for match in line.matches(of: literal) {
                        let body = String(line[match.range].dropFirst().dropLast())
                        for found in body.matches(of: pointer) {
                            guard let name = found.output[1].substring else { continue }
                            named[String(name), default: "\(folder)/\(file)"] = "\(folder)/\(file)"
                        }
                    }
                }
            }
        }
        #expect(named.count > 30, "the scan found the commands messages name: \(named.keys.sorted())")
        for (name, file) in named.sorted(by: { $0.key < $1.key }) where !Self.notCommands.contains(name) {
            #expect(CommandTable.spec(named: name) != nil, "/\(name), named in \(file), is no command")
        }
    }
}
