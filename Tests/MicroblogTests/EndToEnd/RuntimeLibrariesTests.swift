import Foundation
import MicroblogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The libraries the built `microblogd` links (its ELF `NEEDED` entries, which `ldd` would mix with what
/// those libraries need in turn), and the Debian packages that bring them, are what the docs say: the
/// runtime packages in docs/operations.md and contrib/microblogd.service, the build packages in README.
/// Each list is read from its file, so a library added to the build without the docs, or the other way
/// round, fails here.
@Suite("Runtime libraries: the docs name what the binary links")
struct RuntimeLibrariesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let readelf = "/usr/bin/readelf"

    /// Each library of ours by its soname, with its Debian 12 runtime and build packages.
    static let packages: [String: (runtime: String, build: String)] = [
        "libsqlite3.so.0": ("libsqlite3-0", "libsqlite3-dev"),
        "libcrypt.so.1": ("libcrypt1", "libcrypt-dev"),
        "libpq.so.5": ("libpq5", "libpq-dev"),
        "libssl.so.3": ("libssl3", "libssl-dev"),
        "libcrypto.so.3": ("libssl3", "libssl-dev"),
        "libssh.so.4": ("libssh-4", "libssh-dev"),
        "liburing.so.2": ("liburing2", "liburing-dev"),
        "libmicrohttpd.so.12": ("libmicrohttpd12", "libmicrohttpd-dev"),
    ]

    /// What every Debian system has (the C and C++ runtime, the loader), which the docs leave out.
    static let base: Set<String> = [
        "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1",
        "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
    ]

    /// The Swift runtime of a build without `--static-swift-stdlib` (a static one links none of it).
    static func isSwiftRuntime(_ soname: String) -> Bool {
        ["libswift", "libFoundation", "lib_Foundation", "libdispatch", "libBlocksRuntime"].contains {
            soname.hasPrefix($0)
        }
    }

    /// The sonames the built binary names as NEEDED, without the base system and the Swift runtime.
    static func linked() throws -> Set<String> {
        let binary = MicroblogdProcess.builtExecutable
        let result = CleanSpawn.run(readelf, ["-d", binary])
        guard result.status == 0 else { throw TestFailure("readelf -d \(binary) failed: \(result.output)") }
        let needed = try Regex(#"\(NEEDED\)\s+Shared library: \[([^\]]+)\]"#)
        let sonames = result.output.matches(of: needed).compactMap { $0.output[1].substring.map(String.init) }
        #expect(sonames.contains("libc.so.6"), "readelf said: \(result.output)")
        return Set(sonames.filter { !base.contains($0) && !isSwiftRuntime($0) })
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The linked libraries' runtime or build packages; a library not in `packages` fails the test.
    static func packagesOf(_ sonames: Set<String>, _ kind: KeyPath<(runtime: String, build: String), String>)
        -> Set<String>
    {
        Set(
            sonames.compactMap { soname in
                guard let package = packages[soname] else {
                    Issue.record("the binary links \(soname): add its packages here, and to the docs")
                    return nil
                }
                return package[keyPath: kind]
            })
    }

    @Test(.enabled(if: access(readelf, X_OK) == 0, "needs readelf (binutils)"))
    func theOperatorsGuideNamesTheLibrariesAndTheirPackages() throws {
        let linked = try Self.linked()
        let guide = try Self.text("docs/operations.md")
        // The paragraph under "Release build and service" that ends with what the binary needs.
        let paragraph = try #require(
            guide.components(separatedBy: "\n\n").first { $0.contains("are all it needs") },
            "docs/operations.md no longer says which packages are all the binary needs")
        let spans = ProtocolDocumentTests.codeSpans(paragraph.replacing("\n", with: " "))
        let sonames = Set(spans.filter { $0.wholeMatch(of: /lib[^ ]*\.so\.[0-9]+/) != nil })
        #expect(sonames == linked, "docs/operations.md names \(sonames.sorted()); the binary links \(linked.sorted())")
        let from = try #require(paragraph.range(of: "the packages")).upperBound
        let to = try #require(paragraph.range(of: "are all it needs")).lowerBound
        let named = Set(ProtocolDocumentTests.codeSpans(String(paragraph[from..<to]).replacing("\n", with: " ")))
        #expect(named == Self.packagesOf(linked, \.runtime), "docs/operations.md's packages: \(named.sorted())")
    }

    @Test(.enabled(if: access(readelf, X_OK) == 0, "needs readelf (binutils)"))
    func theServiceUnitNamesTheRuntimePackages() throws {
        let linked = try Self.linked()
        let unit = try Self.text("contrib/microblogd.service")
        let prefix = "# Runtime packages (Debian 12):"
        let line = try #require(
            unit.split(separator: "\n").first { $0.hasPrefix(prefix) },
            "contrib/microblogd.service has no line starting \(prefix)")
        let named = Set(line.dropFirst(prefix.count).split(separator: " ").map(String.init))
        #expect(named == Self.packagesOf(linked, \.runtime), "contrib/microblogd.service names \(named.sorted())")
    }

    @Test(.enabled(if: access(readelf, X_OK) == 0, "needs readelf (binutils)"))
    func theReadmeInstallsTheBuildPackages() throws {
        let linked = try Self.linked()
        let readme = try Self.text("README.md")
        let line = try #require(
            readme.split(separator: "\n").first { $0.hasPrefix("apt-get install -y ") },
            "README.md has no apt-get install line")
        let named = Set(line.split(separator: " ").map(String.init).filter { $0.hasSuffix("-dev") })
        #expect(named == Self.packagesOf(linked, \.build), "README.md installs \(named.sorted())")
    }
}
