/// The commands an unknown name was probably meant to be (`/folow` → `/follow`), as git and shells
/// suggest: a command the name begins, else those a typo or two away. Administrators' commands are
/// never suggested (the parser does not know who asks). Pure.
public enum CommandSuggestion {
    /// At most three command names, the likeliest first; empty when none is near.
    public static func nearest(to typed: String, among names: [String] = suggestable) -> [String] {
        let word = Array(typed.lowercased().prefix(32))
        guard !word.isEmpty else { return [] }
        // A beginning of one or more names (`/notif`): those, shortest first.
        let prefixed = names.filter { $0.hasPrefix(String(word)) }.sorted { ($0.count, $0) < ($1.count, $1) }
        if !prefixed.isEmpty { return Array(prefixed.prefix(3)) }
        // A typo: one edit for short names, two for longer ones.
        let allowed = word.count <= 4 ? 1 : 2
        let scored = names.map { (name: $0, distance: distance(word, Array($0))) }.filter { $0.distance <= allowed }
        guard let best = scored.map(\.distance).min() else { return [] }
        return Array(scored.filter { $0.distance == best }.map(\.name).sorted().prefix(3))
    }

    /// `did you mean /follow?`, or nil when nothing is near.
    public static func sentence(for typed: String) -> String? {
        let names = nearest(to: typed)
        guard !names.isEmpty else { return nil }
        let listed = names.map { "/" + $0 }
        let joined = listed.count == 1 ? listed[0] : listed.dropLast().joined(separator: ", ") + " or " + listed.last!
        return "did you mean \(joined)?"
    }

    /// Every command anyone may run, by name.
    public static let suggestable: [String] = CommandTable.all.filter {
        if case .administrator = $0.access { return false }
        return true
    }.map(\.name)

    /// Edits (insert, delete, replace, swap two neighbours) between `a` and `b`: optimal string alignment.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
