#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Broken-down UTC time for rendering, computed with `gmtime_r` (no Foundation formatters on the
/// broadcast path).
struct UTCTime {
    var year, month, day, hour, minute, second, millisecond: Int

    init(_ timestamp: Timestamp) {
        var seconds = time_t(timestamp.milliseconds / 1000)
        var millis = Int(timestamp.milliseconds % 1000)
        if millis < 0 {
            seconds -= 1
            millis += 1000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        year = Int(parts.tm_year) + 1900
        month = Int(parts.tm_mon) + 1
        day = Int(parts.tm_mday)
        hour = Int(parts.tm_hour)
        minute = Int(parts.tm_min)
        second = Int(parts.tm_sec)
        millisecond = millis
    }

    /// `2026-11-26T11:20:05.123Z`
    var iso8601: String {
        "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second)).\(pad(millisecond, 3))Z"
    }

    /// `11:20` on the same UTC day as `now`, else `2026-11-25 11:20`.
    func short(relativeTo now: UTCTime) -> String {
        let clock = "\(pad(hour)):\(pad(minute))"
        if year == now.year && month == now.month && day == now.day { return clock }
        return "\(pad(year, 4))-\(pad(month))-\(pad(day)) \(clock)"
    }

    private func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
