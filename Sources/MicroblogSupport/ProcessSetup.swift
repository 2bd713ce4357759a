import Dispatch
import Foundation
import MicroblogModel

#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide settings a server needs before it accepts connections.
public enum ProcessSetup {
    /// The processors this process may run on (its affinity mask, as `taskset` sets it, read from
    /// `/proc/self/status`: Swift's Glibc does not export `sched_getaffinity`), which may be fewer than
    /// the machine has; the machine's count when the mask cannot be read, and at least 1.
    public static var usableProcessors: Int {
        let online = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return online }
        let count = line.dropFirst("Cpus_allowed:".count).reduce(0) { count, character in
            count + (character.hexDigitValue?.nonzeroBitCount ?? 0)
        }
        return count > 0 ? count : online
    }

    /// Raises the soft open-file limit to the hard limit; returns the new soft limit.
    @discardableResult
    public static func raiseOpenFileLimit() -> UInt64 {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(resource, &limit)
        }
        return UInt64(limit.rlim_cur)
    }

    /// A peer that vanishes must not kill the process: writes report EPIPE instead.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}

/// Turns SIGINT and SIGTERM into calls of `handler` on `queue`. Kept alive by its owner.
///
/// `init` returns only once Dispatch has registered both sources, so a signal sent after that (say,
/// right after the "listening on" line, which must be printed later) is never lost or fatal.
public final class ShutdownSignals {
    private var sources: [DispatchSourceSignal] = []

    public init(queue: DispatchQueue, handler: @escaping @Sendable (Int32) -> Void) {
        let registered = DispatchSemaphore(value: 0)
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)  // let Dispatch see it instead of the default action
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.setRegistrationHandler { registered.signal() }
            source.resume()
            sources.append(source)
        }
        for _ in sources { registered.wait() }
    }
}

/// Turns SIGHUP into calls of `handler` on `queue` (the TLS door reloads its certificate). Installed
/// only when there is something to reload, so without it SIGHUP keeps its default action. Kept alive
/// by its owner; `init` returns once Dispatch has registered the source.
public final class ReloadSignal {
    private let source: DispatchSourceSignal

    public init(queue: DispatchQueue, handler: @escaping @Sendable () -> Void) {
        let registered = DispatchSemaphore(value: 0)
        signal(SIGHUP, SIG_IGN)  // let Dispatch see it instead of the default action
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        source.setEventHandler { handler() }
        source.setRegistrationHandler { registered.signal() }
        source.resume()
        registered.wait()
    }
}

/// Readings of this process and its files from the kernel, for `/stats`. Stateless.
public enum ProcessReadings {
    /// Resident memory, from /proc/self/statm (its second field, in pages).
    public static func residentBytes() -> Int? {
        guard let text = readSmallFile("/proc/self/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Open descriptors: the entries of /proc/self/fd, less the one the listing itself opens.
    public static func openFiles() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { $0.first }
            if name != UInt8(ascii: ".") { count += 1 }
        }
        return max(0, count - 1)
    }

    public static func openFilesLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// A file's size in bytes; 0 when it does not exist (a WAL file between checkpoints may not).
    public static func fileSize(_ path: String) -> Int? {
        var info = stat()
        if stat(path, &info) == 0 { return Int(info.st_size) }
        return errno == ENOENT ? 0 : nil
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
