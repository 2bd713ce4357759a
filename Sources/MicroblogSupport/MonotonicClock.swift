import MicroblogModel

#if canImport(Glibc)
    import Glibc
#endif

/// Seconds on a clock that never jumps (CLOCK_MONOTONIC), for limits and timeouts.
public enum MonotonicClock {
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
