import Foundation
import MicroblogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Pins this process, the load generator, to one CPU: every thread it has now (Dispatch's and
/// Foundation's included) and, since new threads inherit it, every thread it makes later.
enum CPUAffinity {
    /// Whether every thread was pinned to `cpu`.
    @discardableResult
    static func pinAllThreads(to cpu: Int) -> Bool {
        var set = cpu_set_t()
        guard cpu >= 0, cpu < MemoryLayout<cpu_set_t>.size * 8 else { return false }
        // CPU_SET does not import: bit `cpu` of the mask.
        withUnsafeMutableBytes(of: &set) { $0[cpu / 8] |= UInt8(1) << UInt8(cpu % 8) }
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        // A GNU extension the Glibc module does not import.
        typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer?) -> Int32
        guard let setAffinity = CleanSpawn.glibc("sched_setaffinity", as: SetAffinity.self) else { return false }
        var pinned = true
        for thread in threads.compactMap({ pid_t($0) }) + [0] {
            pinned = withUnsafeBytes(of: &set) { setAffinity(thread, $0.count, $0.baseAddress) } == 0 && pinned
        }
        return pinned
    }

    /// Puts the calling thread under `SCHED_IDLE` (Linux schedules each thread on its own): it runs only
    /// when no other thread on its CPU wants to, so a load thread cannot delay the thread measuring
    /// latency beside it. Whether it was set.
    @discardableResult
    static func makeThisThreadIdle() -> Bool {
        var parameters = sched_param()
        parameters.sched_priority = 0
        return sched_setscheduler(0, schedIdle, &parameters) == 0
    }

    /// <sched.h>'s SCHED_IDLE, a GNU extension the Glibc module does not export.
    private static let schedIdle: Int32 = 5

    /// Raises this process's soft limit on open descriptors to its hard limit (20,000 on this project's
    /// machines): each watcher holds one.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(resource, &limit)
    }
}
