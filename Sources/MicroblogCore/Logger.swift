#if canImport(Glibc)
    import Glibc
#endif

/// Writes one logfmt line per event to standard error:
/// `time=2026-11-26T11:20:05.123Z level=info event=login conn=3 user=alice`.
/// Never given a password. Thread-safe: each line is one `write(2)`.
public struct Logger: Sendable {
    public enum Level: String, Sendable { case info, warn, error }

    /// Where lines go; standard error unless a test captures them.
    let sink: @Sendable (String) -> Void

    public init(sink: (@Sendable (String) -> Void)? = nil) {
        self.sink =
            sink ?? { line in
                var bytes = Array(line.utf8)
                bytes.append(10)
                _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            }
    }

    /// A logger that drops everything (for tests that do not look at logs).
    public static let silent = Logger(sink: { _ in })

    public func log(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        var line = "time=\(UTCTime(.now()).iso8601) level=\(level.rawValue) event=\(event)"
        for (key, value) in fields {
            line += " \(key)=\(Self.quoted(value.description))"
        }
        sink(line)
    }

    public func info(_ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        log(.info, event, fields)
    }

    public func warn(_ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        log(.warn, event, fields)
    }

    public func error(_ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        log(.error, event, fields)
    }

    /// Quotes a value with spaces, quotes or `=`; escapes anything that could forge a line.
    static func quoted(_ value: String) -> String {
        let safe = TextSafety.printable(value)
        let needsQuotes = safe.isEmpty || safe.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" })
        guard needsQuotes else { return safe }
        return "\"" + safe.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
            + "\""
    }
}
