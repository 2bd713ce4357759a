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
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
