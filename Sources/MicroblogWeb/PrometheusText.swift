/// Prometheus's text exposition format (version 0.0.4), for `/metrics`: a writer the door fills. A value;
/// confined to whoever fills it.
///
/// `# HELP` escapes `\` and line feeds, label values escape `\`, `"` and line feeds as the format says, and
/// a metric or label name is kept to `[a-zA-Z_:][a-zA-Z0-9_:]*` (anything else becomes `_`), so no value can
/// start a line of its own.
public struct PrometheusText: Sendable {
    /// What `# TYPE` says of a metric. A value.
    public enum MetricType: String, Sendable {
        case counter
        case gauge
        case untyped
    }

    /// What has been written, each line ending in LF.
    public private(set) var text = ""

    /// The Content-Type header's value.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public init() {}

    /// `# HELP name text` and `# TYPE name type`, once before a metric's samples.
    public mutating func describe(_ name: String, help: String, type: MetricType) {
        let name = Self.name(name)
        var escaped = ""
        for character in help {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n", "\r\n": escaped += "\\n"
            case "\r": escaped += " "
            default: escaped.append(character)
            }
        }
        text += "# HELP \(name) \(escaped)\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// `name{label="value",…} value`.
    public mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: Int) {
        write(name, labels, String(value))
    }

    /// `name{label="value",…} value`; infinities and NaN as `+Inf`, `-Inf` and `NaN`.
    public mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        let number =
            value.isNaN ? "NaN" : value == .infinity ? "+Inf" : value == -.infinity ? "-Inf" : String(value)
        write(name, labels, number)
    }

    /// A metric with one sample and no labels: the description and the value.
    public mutating func metric(_ name: String, help: String, type: MetricType, _ value: Int) {
        describe(name, help: help, type: type)
        sample(name, value)
    }

    private mutating func write(_ name: String, _ labels: [(String, String)], _ value: String) {
        text += Self.name(name)
        if !labels.isEmpty {
            text +=
                "{" + labels.map { Self.name($0.0) + "=\"" + Self.labelValue($0.1) + "\"" }.joined(separator: ",") + "}"
        }
        text += " " + value + "\n"
    }

    static func labelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n", "\r\n": escaped += "\\n"
            case "\r": escaped += " "
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func name(_ name: String) -> String {
        var result = ""
        for (index, byte) in name.utf8.enumerated() {
            let letter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            let allowed = letter || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || (digit && index > 0)
            result += allowed ? String(UnicodeScalar(byte)) : "_"
        }
        return result.isEmpty ? "_" : result
    }
}
