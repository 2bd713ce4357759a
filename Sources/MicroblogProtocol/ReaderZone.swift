import Foundation
import MicroblogModel
import MicroblogSupport

/// The time zone a reader sees times in (`/tz`): an IANA zone from the system's database, by way of
/// Foundation's `TimeZone`. Text mode shows times in it; JSON always says UTC. A value.
public struct ReaderZone: Sendable, Equatable {
    /// The zone's IANA name as the database spells it, e.g. `Europe/Paris`.
    public let identifier: String
    private let zone: TimeZone

    /// The zone a typed name means (any case), or nil when there is none by that name. `UTC` (and its
    /// aliases) mean no zone at all: nil as well, see `isUTC`. A name is looked up among `zoneNames`
    /// only, never used as a path, so `../` or an absolute path finds nothing.
    public init?(named typed: String) {
        guard !Self.isUTC(typed), typed.utf8.count <= Self.maxNameBytes,
            let identifier = Self.zoneNames[typed.lowercased()], let zone = TimeZone(identifier: identifier)
        else { return nil }
        self.identifier = identifier
        self.zone = zone
    }

    static let maxNameBytes = 64

    /// Every zone name the system's tz database has (links such as `Asia/Calcutta` and the `Etc/` zones
    /// included; not its `posix/` and `right/` copies), with Foundation's own list, by lower-case name.
    /// Read once, on first use; only names Foundation can load are answered (see `init(named:)`).
    static let zoneNames: [String: String] = {
        var names: [String: String] = [:]
        for name in TimeZone.knownTimeZoneIdentifiers { names[name.lowercased()] = name }
        let root = ProcessInfo.processInfo.environment["TZDIR"] ?? "/usr/share/zoneinfo"
        for name in databaseNames(under: root) where names[name.lowercased()] == nil { names[name.lowercased()] = name }
        return names
    }()

    /// The zone files' names under `root`: paths of words of letters, digits, `_`, `+` and `-`, so the
    /// tables beside them (`zone.tab`, `tzdata.zi`) are left out, as are the `posix` and `right` trees.
    static func databaseNames(under root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var names: [String] = []
        while let path = walker.nextObject() as? String {
            if path == "posix" || path == "right" {
                walker.skipDescendants()
                continue
            }
            let wordy = path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { part in
                !part.isEmpty
                    && part.utf8.allSatisfy { byte in
                        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                            || (byte >= 0x61 && byte <= 0x7A)
                            || byte == 0x5F || byte == 0x2B || byte == 0x2D
                    }
            }
            if wordy && path.utf8.count <= maxNameBytes { names.append(path) }
        }
        return names
    }

    /// True for the names of UTC itself, which `/tz` takes to mean the default.
    public static func isUTC(_ typed: String) -> Bool {
        ["utc", "gmt", "z", "etc/utc", "etc/gmt", "zulu", "universal"].contains(typed.lowercased())
    }

    /// Seconds east of UTC at `instant` (daylight saving time included).
    func offsetSeconds(at instant: Timestamp) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant.milliseconds) / 1000))
    }

    /// `instant` shifted so that UTC rendering shows the zone's wall clock.
    public func wallClock(_ instant: Timestamp) -> Timestamp {
        Timestamp(milliseconds: instant.milliseconds + Int64(offsetSeconds(at: instant)) * 1000)
    }

    /// The zone's abbreviation at `instant` (`CET`, `CEST`), or its offset (`GMT+5:30`).
    public func abbreviation(at instant: Timestamp) -> String {
        zone.abbreviation(for: Date(timeIntervalSince1970: Double(instant.milliseconds) / 1000)) ?? identifier
    }

    public static func == (left: ReaderZone, right: ReaderZone) -> Bool { left.identifier == right.identifier }
}
