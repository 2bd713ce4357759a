import Foundation

/// The time zone a reader sees times in (`/tz`): an IANA zone from the system's database, by way of
/// Foundation's `TimeZone`. Text mode shows times in it; JSON always says UTC. A value.
public struct ReaderZone: Sendable, Equatable {
    /// The zone's IANA name as the database spells it, e.g. `Europe/Paris`.
    public let identifier: String
    private let zone: TimeZone

    /// The zone a typed name means (any case), or nil when there is none by that name. `UTC` (and its
    /// aliases) mean no zone at all: nil as well, see `isUTC`.
    public init?(named typed: String) {
        guard !Self.isUTC(typed), typed.count <= 64 else { return nil }
        let identifier =
            TimeZone.knownTimeZoneIdentifiers.contains(typed)
            ? typed : TimeZone.knownTimeZoneIdentifiers.first { $0.lowercased() == typed.lowercased() }
        guard let identifier, let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.zone = zone
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
    func wallClock(_ instant: Timestamp) -> Timestamp {
        Timestamp(milliseconds: instant.milliseconds + Int64(offsetSeconds(at: instant)) * 1000)
    }

    /// The zone's abbreviation at `instant` (`CET`, `CEST`), or its offset (`GMT+5:30`).
    func abbreviation(at instant: Timestamp) -> String {
        zone.abbreviation(for: Date(timeIntervalSince1970: Double(instant.milliseconds) / 1000)) ?? identifier
    }

    public static func == (left: ReaderZone, right: ReaderZone) -> Bool { left.identifier == right.identifier }
}
