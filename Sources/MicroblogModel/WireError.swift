/// An error as the client sees it: a stable machine code and a sentence for people.
/// Both renderings carry both. Every code is listed in Protocol.md.
public struct WireError: Error, Equatable, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        case unknownCommand = "unknown_command"
        case badUsage = "bad_usage"
        case lineTooLong = "line_too_long"
        case badUTF8 = "bad_utf8"
        case notLoggedIn = "not_logged_in"
        case alreadyLoggedIn = "already_logged_in"
        case badName = "bad_name"
        case nameTaken = "name_taken"
        case badPassword = "bad_password"
        case passwordMismatch = "password_mismatch"
        case badLogin = "bad_login"
        case emptyPost = "empty_post"
        case tooLong = "too_long"
        case badText = "bad_text"
        case storage = "storage"
        case shuttingDown = "shutting_down"
        case rateLimited = "rate_limited"
        case throttled = "throttled"
        case promptTimeout = "prompt_timeout"
        case serverFull = "server_full"
        case tooManyConnections = "too_many_connections"
        case noSuchUser = "no_such_user"
        case noSuchPost = "no_such_post"
        case forbidden = "forbidden"
        case plaintextDenied = "plaintext_denied"
        case banned = "banned"
        case badKey = "bad_key"
        case keyExists = "key_exists"
        case keyTaken = "key_taken"
        case tooManyKeys = "too_many_keys"
        case noSuchKey = "no_such_key"
        case noSuchReport = "no_such_report"
        case noInvites = "no_invites"
        case inviteRequired = "invite_required"
        case badInvite = "bad_invite"
        case registrationClosed = "registration_closed"
        case badZone = "bad_zone"
        case accountDeleted = "account_deleted"
        case badQuery = "bad_query"
        case searchTimeout = "search_timeout"
        case internalError = "internal"
    }

    public var code: Code
    public var message: String
    /// For limits: seconds until trying again can succeed.
    public var retryAfter: Double?
    /// A stable sub-kind for machines (JSON's `reason`): for `storage`, a `StorageFault` name such as
    /// `full` or `read_only`. Listed in Protocol.md §7.
    public var reason: String?

    public init(_ code: Code, _ message: String, retryAfter: Double? = nil, reason: String? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.reason = reason
    }

    /// The `storage` error for a store failure: the message and `reason` say what kind of fault it is.
    public static func storage(_ fault: StorageFault) -> WireError {
        WireError(.storage, fault.sentence, reason: fault.rawValue)
    }

    /// The message with the wait, if any: what every door says (the terminal doors add the code).
    public var messageWithWait: String { message + retryAfterText }

    /// `; try again in 2.5 s` when `retryAfter` is set.
    public var retryAfterText: String {
        guard let retryAfter else { return "" }
        let tenths = (retryAfter * 10).rounded(.up) / 10
        let text = tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
        return "; try again in \(text) s"
    }
}
