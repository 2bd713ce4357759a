/// How the benchmark's watchers recognise a delivery: a line (ended by LF; a CR before it stays part of
/// the line) that holds `t=DIGITS`, the poster's send time in nanoseconds on the monotonic clock. One
/// line per delivery whatever frames it: microblogd's post line, the bare loop's copy of the posted line,
/// or the payload line of a Redis pub/sub message (`*3`, `$7`, `message`, `$4`, `feed`, `$N` and then
/// `t=… n=…`: only the payload has a `t=`), so none of the framing lines counts.
public enum DeliveryLines {
    /// Calls `body` with each whole line in `bytes` (without its LF) and the send time it carries, if
    /// any; returns where the unfinished tail (after the last LF) begins.
    @inlinable
    public static func scan(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int?) -> Void) -> Int {
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 10 {
                let line = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                body(line, sendTime(in: line))
                start = index + 1
            }
            index += 1
        }
        return start
    }

    /// `t=123` in a line: the send time in nanoseconds on the monotonic clock.
    @inlinable
    public static func sendTime(in line: UnsafeRawBufferPointer) -> Int? {
        guard line.count >= 3 else { return nil }
        var index = 0
        while index + 2 < line.count {
            if line[index] == UInt8(ascii: "t") && line[index + 1] == UInt8(ascii: "=") {
                var value = 0
                var position = index + 2
                while position < line.count, line[position] >= 48, line[position] <= 57 {
                    value = value * 10 + Int(line[position] - 48)
                    position += 1
                }
                if position > index + 2 { return value }
            }
            index += 1
        }
        return nil
    }
}
