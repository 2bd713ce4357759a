#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Broken-down UTC time for rendering, computed with `gmtime_r` (no Foundation formatters on the
/// broadcast path).
public struct UTCTime {
    public var year, month, day, hour, minute, second, millisecond: Int
    /// Days since the Unix epoch, and the day of the week (0 is Sunday).
    public var dayNumber: Int
    public var weekday: Int

    public init(_ timestamp: Timestamp) {
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
        dayNumber = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        weekday = Int(parts.tm_wday)
    }

    /// `2026-11-26T11:20:05.123Z`
    public var iso8601: String {
        "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second)).\(pad(millisecond, 3))Z"
    }

    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Short and human, relative to `now` (UTC days): `11:20` today, `yesterday 18:30`, `Mon 09:05`
    /// within the week, `Nov 20 11:20` this year, else `2025-11-20 11:20`.
    public func short(relativeTo now: UTCTime) -> String {
        let clock = "\(pad(hour)):\(pad(minute))"
        switch now.dayNumber - dayNumber {
        case 0: return clock
        case 1: return "yesterday " + clock
        case 2...6: return Self.weekdays[weekday] + " " + clock
        default:
            if year == now.year && dayNumber < now.dayNumber { return "\(Self.months[month - 1]) \(day) \(clock)" }
            return "\(pad(year, 4))-\(pad(month))-\(pad(day)) \(clock)"
        }
    }

    private func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
