/// The web door's paths, built in one place so pages, feeds and live streams link to what the door serves.
/// Pure functions.
///
/// Every piece that comes from people (a name, a tag, a search) is percent-encoded as UTF-8, keeping only
/// RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`), so it stays one path segment or one query value
/// whatever it holds.
public enum WebPath {
    public static let home = "/"
    public static let signIn = "/signin"
    public static let signOut = "/signout"
    public static let newPost = "/post"
    public static let search = "/search"
    public static let homeAtom = "/feed.atom"
    public static let homeEvents = "/events"
    /// The paths a form posts to (`POST`); every other path takes only `GET` and `HEAD`.
    public static let forms: Set<String> = [signIn, signOut, newPost]

    /// `/@NAME`
    public static func profile(_ name: String) -> String { "/@" + segment(name) }
    /// `/@NAME/twtxt.txt`
    public static func twtxt(_ name: String) -> String { profile(name) + "/twtxt.txt" }
    /// `/posts/ID`
    public static func post(_ id: Int64) -> String { "/posts/\(id)" }
    /// `/tags/TAG`, the tag as given (callers pass it normalised, in lower case).
    public static func tag(_ tag: String) -> String { "/tags/" + segment(tag) }

    /// `/search?q=QUERY`, and `&before=ID` for an older page.
    public static func search(_ query: String, before: Int64? = nil) -> String {
        search + "?q=" + segment(query) + (before.map { "&before=\($0)" } ?? "")
    }

    /// A decoded path encoded again (for a `Location`): each segment as `segment` encodes it, the `/`
    /// between them and a profile's leading `@` kept.
    public static func encodedPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("@") ? "@" + segment(String(part.dropFirst())) : segment(String(part))
        }.joined(separator: "/")
    }

    /// `text` percent-encoded for a path segment or a query value.
    public static func segment(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += percentEncoded(byte)
            }
        }
        return result
    }

    static func percentEncoded(_ byte: UInt8) -> String {
        let digits: [Character] = Array("0123456789ABCDEF")
        return "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }
}

/// A listing of posts the web door serves, with its page, its Atom feed and its live stream. A value; pure.
public enum Timeline: Sendable, Equatable {
    /// Everyone's latest posts.
    case home
    /// One account's posts, by name.
    case profile(String)
    /// The posts with one hashtag, in lower case (as `PostEntities` normalises it).
    case tag(String)

    /// `/`, `/@NAME` or `/tags/TAG`.
    public var path: String {
        switch self {
        case .home: WebPath.home
        case .profile(let name): WebPath.profile(name)
        case .tag(let tag): WebPath.tag(tag)
        }
    }

    /// `/feed.atom`, `/@NAME.atom` or `/tags/TAG.atom`.
    public var atomPath: String {
        switch self {
        case .home: WebPath.homeAtom
        case .profile, .tag: path + ".atom"
        }
    }

    /// The Server-Sent Events stream of its new posts: `/events`, `/@NAME/events` or `/tags/TAG/events`.
    public var eventsPath: String {
        switch self {
        case .home: WebPath.homeEvents
        case .profile, .tag: path + "/events"
        }
    }

    /// The page of posts older than `id`: `/?before=ID`, `/@NAME?before=ID`, `/tags/TAG?before=ID`.
    public func olderPath(before id: Int64) -> String { path + "?before=\(id)" }
}
