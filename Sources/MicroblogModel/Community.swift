/// An open report of a post (`/report`), as `/reports` lists it. A value.
public struct PostReport: Sendable, Equatable {
    /// The report's own number, which `/reports close N` takes.
    public var id: Int64
    public var postID: Int64
    /// The reported post's author and text (empty once the post is deleted).
    public var author: String
    public var text: String
    public var reporter: String
    public var reason: String
    public var createdAt: Timestamp

    public init(
        id: Int64, postID: Int64, author: String, text: String, reporter: String, reason: String,
        createdAt: Timestamp
    ) {
        self.id = id
        self.postID = postID
        self.author = author
        self.text = text
        self.reporter = reporter
        self.reason = reason
        self.createdAt = createdAt
    }
}

/// Who may create an account over the wire (`--registration`).
public enum Registration: String, Sendable, Equatable, CaseIterable {
    /// Anyone may `/register`.
    case open
    /// `/register NAME CODE [PASSWORD]`, with a one-time code from someone's `/invite`.
    case invite
    /// Nobody: accounts are made by the operator (`microblogd account create`).
    case closed
}

/// One-time registration codes: `XXXX-XXXX` from 31 letters and digits that do not look alike (no 0, O,
/// 1, I, L), about 40 bits; typed in any case, with or without the dash. Pure but for the random source.
public enum InviteCode {
    static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    static let length = 8

    /// A new random code.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return String(characters[..<4]) + "-" + String(characters[4...])
    }

    /// The stored form of a typed code, or nil when it cannot be one.
    public static func normalized(_ typed: String) -> String? {
        let characters = Array(typed.uppercased().filter { $0 != "-" })
        guard characters.count == length, characters.allSatisfy(alphabet.contains) else { return nil }
        return String(characters[..<4]) + "-" + String(characters[4...])
    }
}

/// Where a paged `/export` stands: the kind being read, and the key of the last record sent of it
/// (time and id for likes and follows, which are listed in time order; id alone for posts and
/// messages). A value.
public struct ExportCursor: Sendable, Equatable {
    public enum Kind: Int, Sendable, CaseIterable {
        case post, like, follow, message
    }
    public var kind = Kind.post
    public var afterTime = Int64.min
    public var afterID: Int64 = 0

    public init(kind: Kind = .post, afterTime: Int64 = .min, afterID: Int64 = 0) {
        self.kind = kind
        self.afterTime = afterTime
        self.afterID = afterID
    }
}

/// One page of `/export`: its records, and where the next page starts (nil after the last).
public struct ExportPage: Sendable, Equatable {
    public var records: [ExportRecord]
    public var next: ExportCursor?

    public init(records: [ExportRecord], next: ExportCursor?) {
        self.records = records
        self.next = next
    }
}

/// One line of `/export`: something the account made, liked, followed, sent or received. A value.
public enum ExportRecord: Sendable, Equatable {
    case post(id: Int64, at: Timestamp, text: String, replyTo: Int64?, repostOf: Int64?)
    case like(postID: Int64, at: Timestamp)
    case follow(name: String, at: Timestamp)
    case message(id: Int64, at: Timestamp, from: String, to: String, text: String)

    /// The record's kind, as JSON's `kind` and the summary's counts name it.
    public var kind: String {
        switch self {
        case .post: return "post"
        case .like: return "like"
        case .follow: return "follow"
        case .message: return "message"
        }
    }
}
