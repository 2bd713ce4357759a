/// The door the watching sessions come in by. The poster always uses the plain port: what is measured
/// is the cost of delivering to watchers behind each door. An `ssh` door (a libssh client) would be one
/// more case here, with its own client sessions beside `TLSWatcherSessions`.
enum Door: String, CaseIterable {
    case plain
    case tls

    /// `--door plain|tls|both`: the doors to run, in order (`both`: plain, then TLS, in one sitting).
    static func parse(_ text: String) -> [Door]? {
        if text == "both" { return allCases }
        return Door(rawValue: text).map { [$0] }
    }
}
