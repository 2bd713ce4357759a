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

    /// Lowers the calling thread's scheduling priority to `niceness` (Linux's nice values are per thread):
    /// a load thread that must not take the CPU from the threads measuring latency beside it. Whether
    /// it was set.
    @discardableResult
    static func setThisThreadNiceness(_ niceness: Int32) -> Bool {
        // gettid is a GNU extension the Glibc module does not import.
        typealias GetThreadID = @convention(c) () -> pid_t
        guard let threadID = CleanSpawn.glibc("gettid", as: GetThreadID.self) else { return false }
        return setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(threadID()), niceness) == 0
    }

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
