import Foundation
import Testing

/// The layers are SwiftPM targets: these tests keep `Package.swift`, the sources' imports and the table in
/// docs/architecture.md saying the same thing, so the drawing there stays true.
@Suite("Layering: targets, imports and the architecture table agree")
struct LayeringTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Modules every target may import without declaring them: the toolchain's.
    static let toolchain: Set<String> = [
        "Foundation", "Dispatch", "Glibc", "Darwin", "Musl", "Synchronization", "Testing", "XCTest",
    ]

    /// Each `.target` / `.executableTarget` of ours in Package.swift with the dependencies it declares.
    static func declaredDependencies() throws -> [String: Set<String>] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var result: [String: Set<String>] = [:]
        // `.target(name: "X", dependencies: [...])` or the same spread over lines; system libraries have none.
        let pattern = try Regex(
            #"\.(?:target|executableTarget)\(\s*name:\s*"([^"]+)"(?:,\s*dependencies:\s*\[([^\]]*)\])?"#)
        for match in manifest.matches(of: pattern) {
            let name = String(match.output[1].substring!)
            let list = match.output[2].substring.map(String.init) ?? ""
            let dependencies = list.split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(
                    in: CharacterSet(charactersIn: "\""))
            }.filter { !$0.isEmpty }
            result[name] = Set(dependencies)
        }
        return result
    }

    /// The table under "How the code is laid out": target -> what it may import.
    static func documentedDependencies() throws -> [String: Set<String>] {
        let text = try String(
            contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        var result: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| Microblog") || line.hasPrefix("| microblog") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 2 else { continue }
            let imports =
                cells[1] == "nothing of ours"
                ? []
                : cells[1].split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
            result[cells[0]] = Set(imports)
        }
        return result
    }

    @Test func everySourceImportIsADeclaredDependency() throws {
        let declared = try Self.declaredDependencies()
        #expect(declared["MicroblogModel"] == [])
        var undeclared: [String] = []
        for (target, dependencies) in declared {
            let folder = Self.root.appendingPathComponent("Sources/\(target)")
            guard let files = FileManager.default.enumerator(atPath: folder.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
                    guard words.first == "import", words.count == 2 else { continue }
                    let module = String(words[1])
                    if !Self.toolchain.contains(module) && !dependencies.contains(module) {
                        undeclared.append("\(target)/\(file) imports \(module)")
                    }
                }
            }
        }
        #expect(undeclared.isEmpty, "\(undeclared.sorted())")
    }

    @Test func theArchitectureTableIsPackageSwift() throws {
        let declared = try Self.declaredDependencies()
        let documented = try Self.documentedDependencies()
        #expect(documented.count >= 12)
        for (target, imports) in documented {
            var expected = declared[target] ?? ["<not a target>"]
            if imports.contains("every target above") {
                // The server row: every Microblog* library target except itself, plus what it names.
                let libraries = Set(
                    declared.keys.filter { $0.hasPrefix("Microblog") && $0 != target && $0 != "MicroblogTestSupport" })
                expected.subtract(libraries)
                #expect(declared[target]?.isSuperset(of: libraries) == true, "\(target) does not import every layer")
                #expect(expected == imports.subtracting(["every target above"]), "\(target): \(expected.sorted())")
            } else {
                #expect(expected == imports, "\(target): Package.swift says \(expected.sorted())")
            }
        }
        let libraries = declared.keys.filter { $0.hasPrefix("Microblog") && $0 != "MicroblogTestSupport" }
        for target in libraries { #expect(documented[target] != nil, "\(target) is missing from the table") }
    }

    /// No layer below the domain reaches up: a backward arrow would be a cycle or an undeclared import,
    /// and the order here is the drawing's.
    @Test func dependenciesPointDownTheLayers() throws {
        let order = [
            "MicroblogModel", "MicroblogSupport", "MicroblogProtocol", "MicroblogWeb", "MicroblogStorage",
            "MicroblogTransport",
            "MicroblogFanout", "MicroblogSSH", "MicroblogSQLite", "MicroblogPostgres", "MicroblogDomain",
            "MicroblogServer", "microblogd",
        ]
        let declared = try Self.declaredDependencies()
        for (index, target) in order.enumerated() {
            let ours = (declared[target] ?? []).filter { $0.hasPrefix("Microblog") }
            let above = Set(order[index...])
            #expect(ours.isDisjoint(with: above), "\(target) imports \(ours.intersection(above).sorted())")
        }
    }
}
