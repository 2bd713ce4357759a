/// The door the watching sessions come in by. The poster always uses the plain port: what is measured
/// is the cost of delivering to watchers behind each door.
enum Door: String, CaseIterable {
    case plain
    case tls
    case ssh
    /// The web door's live stream: each watcher is a browser's EventSource on `/events` (HTTP/1.1,
    /// Server-Sent Events), not a session.
    case web

    /// `--door plain|tls|ssh|web|both|all`, or several separated by commas (`plain,web`): the doors to
    /// run, in order, in one sitting (`both`: plain, then TLS; `all`: plain, TLS, SSH, then web). Nil for
    /// an unknown name or a door named twice.
    static func parse(_ text: String) -> [Door]? {
        switch text {
        case "both": return [.plain, .tls]
        case "all": return allCases
        default:
            let doors = text.split(separator: ",", omittingEmptySubsequences: false).map { Door(rawValue: String($0)) }
            guard !doors.isEmpty, !doors.contains(nil) else { return nil }
            let named = doors.compactMap { $0 }
            return Set(named).count == named.count ? named : nil
        }
    }
}
