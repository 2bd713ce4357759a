/// The door the watching sessions come in by. The poster always uses the plain port: what is measured
/// is the cost of delivering to watchers behind each door.
enum Door: String, CaseIterable {
    case plain
    case tls
    case ssh

    /// `--door plain|tls|ssh|both|all`: the doors to run, in order, in one sitting (`both`: plain, then
    /// TLS; `all`: plain, TLS, then SSH).
    static func parse(_ text: String) -> [Door]? {
        switch text {
        case "both": [.plain, .tls]
        case "all": allCases
        default: Door(rawValue: text).map { [$0] }
        }
    }
}
