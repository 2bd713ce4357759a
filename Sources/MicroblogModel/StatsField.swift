/// One figure of `/stats` and of the stats log line: a snake_case name and a number or text.
public struct StatsField: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case int(Int)
        case double(Double)
        case text(String)
    }

    public var name: String
    public var value: Value

    public init(_ name: String, _ value: Value) {
        self.name = name
        self.value = value
    }

    /// The value as text and JSON write it: integers plainly, others with at most 3 decimals.
    public var formatted: String {
        switch value {
        case .int(let number): return String(number)
        case .double(let number):
            guard number.isFinite else { return "0" }
            let rounded = (number * 1000).rounded() / 1000
            return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        case .text(let text): return text
        }
    }
}
