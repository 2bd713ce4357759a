import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
import MicroblogTestSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

#if canImport(Glibc)
    import Glibc
#endif

/// The SSH host key on disk: made once, read back unchanged, refused when unsafe or not an Ed25519 key.
@Suite struct SSHHostKeyTests {
    @Test func generatedKeyIsPrivateAndReloadsWithTheSameFingerprint() throws {
        let directory = try TemporaryDirectory()
        let path = SSHHostKey.defaultPath(forDatabase: directory.path + "/microblog.db")
        #expect(path.hasSuffix("/microblog.db.ssh_host_ed25519_key"))

        let created = try SSHHostKey.loadOrCreate(path: path)
        #expect(created.fingerprint.hasPrefix("SHA256:"))
        #expect(created.publicKeyLine.hasPrefix("ssh-ed25519 AAAA"))
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)

        let before = try String(contentsOfFile: path, encoding: .utf8)
        let reloaded = try SSHHostKey.loadOrCreate(path: path)
        #expect(reloaded.fingerprint == created.fingerprint)
        #expect(reloaded.publicKeyLine == created.publicKeyLine)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == before)
        #expect(try SSHHostKey.load(path: path).fingerprint == created.fingerprint)
    }

    @Test func fingerprintIsWhatSSHKeygenPrints() throws {
        let directory = try TemporaryDirectory()
        let key = try SSHHostKey.loadOrCreate(path: directory.path + "/host_key")
        let publicPath = directory.path + "/host_key.pub"
        try (key.publicKeyLine + " microblogd\n").write(toFile: publicPath, atomically: true, encoding: .utf8)

        let output = try runTool("/usr/bin/ssh-keygen", ["-lf", publicPath])
        // "256 SHA256:… microblogd (ED25519)"
        let fields = output.split(separator: " ").map(String.init)
        #expect(fields.count >= 2)
        #expect(fields.dropFirst().first == key.fingerprint)
        #expect(output.contains("(ED25519)"))
    }

    @Test func keyMadeBySSHKeygenIsAccepted() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/key"
        _ = try runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path])
        let key = try SSHHostKey.load(path: path)
        let expected = try runTool("/usr/bin/ssh-keygen", ["-lf", path + ".pub"])
        #expect(expected.split(separator: " ").dropFirst().first.map(String.init) == key.fingerprint)
    }

    @Test func keyReadableByOthersIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/host_key"
        _ = try SSHHostKey.loadOrCreate(path: path)
        #expect(chmod(path, 0o644) == 0)
        let error = #expect(throws: SSHHostKeyError.self) { try SSHHostKey.loadOrCreate(path: path) }
        #expect(error?.description.contains("0644") == true)
        #expect(chmod(path, 0o640) == 0)
        #expect(throws: SSHHostKeyError.self) { try SSHHostKey.load(path: path) }
    }

    @Test func garbageAndOtherKeyTypesAreRefusedAndNotOverwritten() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/host_key"
        let garbage = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n"
        #expect(
            FileManager.default.createFile(
                atPath: path, contents: Data(garbage.utf8), attributes: [.posixPermissions: 0o600]))
        let error = #expect(throws: SSHHostKeyError.self) { try SSHHostKey.loadOrCreate(path: path) }
        #expect(error?.description.contains(path) == true)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == garbage)

        let ecdsaPath = directory.path + "/ecdsa"
        _ = try runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", ecdsaPath])
        let typeError = #expect(throws: SSHHostKeyError.self) { try SSHHostKey.load(path: ecdsaPath) }
        #expect(typeError?.description.contains("Ed25519") == true)

        #expect(throws: SSHHostKeyError.self) { try SSHHostKey.load(path: directory.path + "/missing") }
    }
}

/// Runs a tool to completion and returns its standard output; throws when it fails.
func runTool(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(path) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self)
}
