import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real storage faults under a running server: a lock held by another process, a full file system, a
/// file system turned read-only. Each must give `storage` ("nothing was saved; try again"), leave the
/// server answering, and lose nothing acknowledged.
@Suite("Faults: the database is locked, full or read-only")
struct StorageFaultTests {
    @Test func lockHeldByAnotherConnectionGivesStorageErrorThenRecovers() throws {
        let server = try TestServer { $0.settings.busyTimeoutMilliseconds = 200 }
        let client = try server.registeredClient("locked_out")
        try client.switchToJSON()
        let before = try post("before the lock", from: client)
        #expect(before["type"] as? String == "ok")

        let holder = try SQLiteFile(server.databasePath, readOnly: false)
        try holder.execute("BEGIN EXCLUSIVE")
        let refused = try post("while the lock is held", from: client, timeout: 5)
        #expect(refused["type"] as? String == "error")
        #expect(refused["command"] as? String == "post")
        #expect(refused["code"] as? String == "storage")
        #expect(refused["reason"] as? String == "busy", "a lock held elsewhere is said to be busy: \(refused)")

        // The server still answers, and still greets newcomers, while its database is locked.
        client.send("/who")
        let who = try client.readJSONUntil { $0["type"] as? String == "ok" || $0["type"] as? String == "error" }
        #expect(who.last?["command"] as? String == "who" && who.last?["type"] as? String == "ok")
        _ = try server.greetedClient()

        try holder.execute("COMMIT")
        holder.close()
        let after = try post("after the lock", from: client)
        #expect(after["type"] as? String == "ok", "posting must work again once the lock is gone: \(after)")
        #expect(jsonInt(after["id"]) ?? 0 > jsonInt(before["id"]) ?? 0)

        let texts = try allPosts(port: server.port).values.map(\.text)
        #expect(texts.sorted() == ["after the lock", "before the lock"])
    }

    @Test func stopWhileTheDatabaseIsLockedAnswersEveryCommandInFlight() throws {
        let server = try TestServer {
            $0.settings.busyTimeoutMilliseconds = 2000
            $0.settings.postRate = 0
        }
        let poster = try server.registeredClient("lock_poster")
        try poster.switchToJSON()
        let newcomer = try server.greetedClient()
        try newcomer.switchToJSON()

        let holder = try SQLiteFile(server.databasePath, readOnly: false)
        try holder.execute("BEGIN EXCLUSIVE")
        defer { holder.close() }
        // One write each: the /who reply shows the server has read the line after it and started it.
        poster.send("/who\na post that waits for the lock")
        try poster.readJSONUntil { $0["command"] as? String == "who" && $0["type"] as? String == "ok" }
        newcomer.send("/who\n/register lock_newcomer password1")
        try newcomer.readJSONUntil { $0["command"] as? String == "who" && $0["type"] as? String == "ok" }

        let stopping = Thread.detach(UncheckedBox(server)) { try? $0.value.stop(timeout: 20) }
        for (client, command) in [(poster, "post"), (newcomer, "register")] {
            let objects = try client.readUntilClosed(timeout: 15).compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let bye = objects.firstIndex { $0["type"] as? String == "bye" }
            #expect(bye == objects.count - 1, "\(command): the goodbye must come last: \(objects.suffix(3))")
            let replies = objects.filter { ["ok", "error"].contains($0["type"] as? String) }
            #expect(
                replies.count == 1 && replies.first?["command"] as? String == command,
                "the \(command) in flight at the stop got \(replies.count) replies before the goodbye: \(replies)")
        }
        #expect(stopping.wait(timeout: 20), "the server did not stop")
    }

    @Test(.enabled(if: FaultMounts.isRoot, "needs root to mount a tmpfs"))
    func fullFileSystemGivesStorageErrorThenRecovers() throws {
        let directory = try TemporaryDirectory()
        try FaultMounts.mountOrCancel(["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", directory.path])
        defer { FaultMounts.unmount(directory.path) }
        try {
            let server = try TestServer(directory: directory) { $0.settings.postRate = 0 }
            defer { try? server.stop() }
            let client = try server.registeredClient("disk_filler")
            try client.switchToJSON()
            var acknowledged: [Int64: String] = [:]
            let first = try post("before the disk filled", from: client)
            if let id = jsonInt(first["id"]) { acknowledged[id] = "before the disk filled" }

            // Leave a few pages: SQLite's write-ahead log grows by whole pages with every commit.
            let filler = directory.path + "/filler"
            try FaultMounts.fill(directory.path, file: filler, leavingBytes: 48 * 1024)
            var refusedText: String?
            for number in 0..<400 {
                let text = "filling post \(number) " + String(repeating: "x", count: 240)
                let reply = try post(text, from: client)
                if reply["type"] as? String == "ok", let id = jsonInt(reply["id"]) {
                    acknowledged[id] = text
                    continue
                }
                #expect(reply["code"] as? String == "storage", "a full disk must give storage: \(reply)")
                #expect(reply["reason"] as? String == "full", "a full disk is said to be full: \(reply)")
                #expect((reply["message"] as? String)?.contains("disk is full") == true)
                refusedText = text
                break
            }
            #expect(refusedText != nil, "400 posts of 250 bytes fitted in 48 KiB: the disk never filled")

            client.send("/who")
            let who = try client.readJSONUntil { $0["type"] as? String == "ok" || $0["type"] as? String == "error" }
            #expect(who.last?["type"] as? String == "ok", "the server must keep answering on a full disk")

            try FileManager.default.removeItem(atPath: filler)
            let after = try post("after space was freed", from: client)
            #expect(after["type"] as? String == "ok", "posting must work again once there is space: \(after)")
            if let id = jsonInt(after["id"]) { acknowledged[id] = "after space was freed" }

            let posts = try allPosts(port: server.port)
            let missing = acknowledged.filter { posts[$0.key]?.text != $0.value }.keys.sorted()
            #expect(missing.isEmpty, "acknowledged posts missing after the disk was full: \(missing)")
            if let refusedText {
                #expect(!posts.values.contains { $0.text == refusedText }, "the refused post was saved anyway")
            }
            #expect(try SQLiteFile.integrityCheck(server.databasePath) == ["ok"])
        }()
    }

    /// A file system cannot be remounted read-only while a process holds files on it open for writing
    /// (`mount -o remount,ro` fails with EBUSY, and the server always holds its database so), so this
    /// uses the fault that does turn a live file system read-only: ext4 with `errors=remount-ro` hitting
    /// an error (`/sys/fs/ext4/DEV/trigger_fs_error`). That state lasts until the file system is
    /// unmounted, so recovery is the administrator's: stop, remount, start again.
    @Test(.enabled(if: FaultMounts.isRoot, "needs root to mount an ext4 image"))
    func fileSystemTurnedReadOnlyGivesStorageErrorAndLosesNothing() throws {
        let images = try TemporaryDirectory()
        let directory = try TemporaryDirectory()
        let image = images.path + "/fs.img"
        try FaultMounts.makeExt4Image(image, megabytes: 16)
        let mountArguments = ["-o", "loop,errors=remount-ro", image, directory.path]
        try FaultMounts.mountOrCancel(mountArguments)
        defer { FaultMounts.unmount(directory.path) }
        var acknowledged: [Int64: String] = [:]
        let refusedText = "while the file system is read-only"
        let capture = LogCapture()
        try {
            let server = try TestServer(directory: directory, log: capture.logger()) { $0.settings.postRate = 0 }
            defer { try? server.stop() }
            let client = try server.registeredClient("read_only")
            try client.switchToJSON()
            for text in ["before the error 1", "before the error 2"] {
                let reply = try post(text, from: client)
                #expect(reply["type"] as? String == "ok")
                if let id = jsonInt(reply["id"]) { acknowledged[id] = text }
            }

            try FaultMounts.triggerExt4Error(at: directory.path)
            #expect(FaultMounts.isReadOnly(directory.path), "the file system did not turn read-only")
            let refused = try post(refusedText, from: client, timeout: 5)
            #expect(refused["type"] as? String == "error")
            #expect(refused["code"] as? String == "storage", "a read-only file system must give storage: \(refused)")
            #expect(refused["reason"] as? String == "read_only", "a read-only file system is said so: \(refused)")
            let logged = try capture.waitFor("the storage fault") { $0.contains("event=storage") }
            #expect(logged.contains("reason=read_only") && logged.contains("db=\(directory.path)/test.db"), "\(logged)")

            client.send("/who")
            let who = try client.readJSONUntil { $0["type"] as? String == "ok" || $0["type"] as? String == "error" }
            #expect(who.last?["type"] as? String == "ok", "the server must keep answering on a read-only disk")
            let again = try post(refusedText + " again", from: client, timeout: 5)
            #expect(again["code"] as? String == "storage")
            try server.stop()
        }()

        // Mounting the image again while an old mount of it lingers would corrupt it.
        try #require(FaultMounts.unmount(directory.path), "the stopped server still held the file system")
        try FaultMounts.mountOrCancel(mountArguments)
        let server = try TestServer(directory: directory) { $0.settings.postRate = 0 }
        defer { try? server.stop() }
        let posts = try allPosts(port: server.port)
        let missing = acknowledged.filter { posts[$0.key]?.text != $0.value }.keys.sorted()
        #expect(missing.isEmpty, "acknowledged posts lost with the file system's error: \(missing)")
        #expect(!posts.values.contains { $0.text.hasPrefix(refusedText) }, "a refused post was saved anyway")
        let client = try server.greetedClient()
        client.send("/login read_only password1")
        try client.readUntil { $0.hasPrefix("* welcome back") }
        try client.switchToJSON()
        let after = try post("after the remount", from: client)
        #expect(after["type"] as? String == "ok", "posting must work after the remount: \(after)")
        #expect(try SQLiteFile.integrityCheck(server.databasePath) == ["ok"])
    }

    /// Posts `text` in JSON mode and returns the reply (`ok` or `error`), skipping live posts and notices.
    private func post(_ text: String, from client: TestClient, timeout: Double = 10) throws -> [String: Any] {
        client.send(text)
        let objects = try client.readJSONUntil(timeout: timeout) {
            $0["type"] as? String == "ok" || $0["type"] as? String == "error"
        }
        return objects.last ?? [:]
    }
}

/// Mounting real file systems for fault tests. Needs root; a test cancels itself, saying why, when the
/// machine cannot mount (no privilege, no loop devices).
enum FaultMounts {
    static let isRoot = getuid() == 0

    /// Runs a system tool (found in the usual directories) and returns its status and output.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let candidates = ["/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/"].map { $0 + tool }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return (127, "\(tool) not found")
        }
        return CleanSpawn.run(path, arguments)
    }

    /// Mounts, or cancels the test with the reason when this machine cannot.
    static func mountOrCancel(_ arguments: [String]) throws {
        let result = run("mount", arguments)
        if result.status != 0 {
            try Test.cancel("cannot mount here (mount \(arguments.joined(separator: " "))): \(result.output)")
        }
    }

    /// Unmounts; if something still holds the file system (a failed test's server), detaches it lazily
    /// so the directory can still be removed. True when it was unmounted cleanly (or was not mounted).
    @discardableResult
    static func unmount(_ path: String) -> Bool {
        guard isMountPoint(path) else { return true }
        if run("umount", [path]).status == 0 { return true }
        run("umount", ["-l", path])
        return false
    }

    static func isMountPoint(_ path: String) -> Bool {
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return mounts.split(separator: "\n").contains { $0.split(separator: " ").dropFirst(4).first == Substring(path) }
    }

    /// True when creating a file in `directory` fails with EROFS. (ext4's emergency read-only state does
    /// not show in `statvfs` flags.)
    static func isReadOnly(_ directory: String) -> Bool {
        let fd = open(directory + "/probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
            unlink(directory + "/probe")
            return false
        }
        return errno == EROFS
    }

    /// Fills the file system holding `directory` with `file`, leaving about `leavingBytes` free.
    static func fill(_ directory: String, file: String, leavingBytes: Int) throws {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { throw TestFailure("statvfs \(directory): errno \(errno)") }
        let free = Int(info.f_bavail) * Int(info.f_frsize)
        guard free > leavingBytes else { return }
        guard FileManager.default.createFile(atPath: file, contents: Data(count: free - leavingBytes)) else {
            throw TestFailure("cannot write \(free - leavingBytes) bytes to \(file)")
        }
    }

    static func makeExt4Image(_ path: String, megabytes: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw TestFailure("cannot create \(path)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(megabytes) << 20)
        try handle.close()
        let result = run("mkfs.ext4", ["-q", "-F", path])
        if result.status != 0 { try Test.cancel("cannot make an ext4 image here: \(result.output)") }
    }

    /// Makes ext4 report an error on the file system mounted at `path`; with `errors=remount-ro` the kernel
    /// turns it read-only at once, open files and all.
    static func triggerExt4Error(at path: String) throws {
        let result = run("findmnt", ["-n", "-o", "SOURCE", path])
        let device = result.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "/").last ?? ""
        let trigger = "/sys/fs/ext4/\(device)/trigger_fs_error"
        guard result.status == 0, FileManager.default.fileExists(atPath: trigger) else {
            try Test.cancel("this kernel cannot trigger an ext4 error (\(trigger)): \(result.output)")
        }
        try "1".write(toFile: trigger, atomically: false, encoding: .utf8)
    }
}
