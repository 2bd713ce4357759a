import MicroblogModel
import MicroblogSupport

/// What storage reports. `description` is for logs, never for the wire.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case nameTaken
    case closed
    /// The database (or the store, checking its answers) failed a statement: the kind of failure, and the
    /// engine's own code and words.
    case failed(DatabaseFailure)
    /// The file's schema is newer than this build knows.
    case unsupportedSchema(found: Int32, known: Int32)
    /// The database holds tables but no microblogd schema: it belongs to something else.
    case notMicroblog
    /// The SSH key is held already: by the account `ownerID` (nil when another node added it meanwhile and
    /// the owner is not known).
    case sshKeyTaken(ownerID: Int64?)
    /// The account holds as many SSH keys as it may.
    case sshKeyLimit
    /// The invite code is unknown or was used already.
    case inviteInvalid
    /// The account that would have made it (a post, a like, a follow, a message) was deleted: nothing of
    /// it is written.
    case accountDeleted
    /// The other account it names (the one followed, a message's recipient) was deleted meanwhile.
    case otherAccountDeleted
    /// A statement ran past the time limit its caller gave (`Store.withTimeLimit`) and was stopped.
    case timedOut

    public var description: String {
        switch self {
        case .nameTaken: return "name taken"
        case .closed: return "database closed"
        case .failed(let failure): return failure.description
        case .unsupportedSchema(let found, let known):
            return "database schema version \(found) is newer than this build's \(known)"
        case .notMicroblog:
            return "the database holds tables that are not microblogd's; give microblogd a file of its own"
        case .sshKeyTaken: return "SSH key taken"
        case .sshKeyLimit: return "too many SSH keys"
        case .inviteInvalid: return "invite code unknown or used"
        case .accountDeleted: return "account deleted"
        case .otherAccountDeleted: return "the other account deleted"
        case .timedOut: return "statement stopped at its time limit"
        }
    }

    /// A failure the store finds itself (an answer that cannot be right), in no engine's words.
    static func storeFailure(_ kind: DatabaseFailure.Kind, _ message: String, context: String) -> StoreError {
        .failed(DatabaseFailure(kind: kind, source: .store, code: "", message: message, context: context))
    }

    /// `storeFailure` of no particular kind.
    public static func storeFailure(_ message: String, context: String) -> StoreError {
        storeFailure(.fault(.other), message, context: context)
    }

    /// A misuse of a wrapper (wrong number of values, several statements where one is expected).
    public static func misuse(_ message: String, context: String) -> StoreError {
        storeFailure(message, context: context)
    }

    /// A NULL where the caller asked for text from a NOT NULL column.
    public static func unexpectedNull(column: Int, context: String) -> StoreError {
        storeFailure("unexpected NULL in column \(column)", context: context)
    }

    /// The kind of a database failure; nil for the other cases.
    var failureKind: DatabaseFailure.Kind? {
        if case .failed(let failure) = self { return failure.kind }
        return nil
    }

    /// The kind of fault, for the wire and the log.
    public var fault: StorageFault {
        switch self {
        case .closed: return .unreachable
        case .timedOut: return .busy
        case .nameTaken, .unsupportedSchema, .notMicroblog, .sshKeyTaken, .sshKeyLimit, .inviteInvalid, .accountDeleted,
            .otherAccountDeleted:
            return .other
        case .failed(let failure): return failure.kind.fault
        }
    }

    /// The engine's message alone, for the log's `message` field (PostgreSQL's says its SQLSTATE).
    public var faultMessage: String {
        guard case .failed(let failure) = self else { return description }
        return failure.source == .postgres ? "postgres \(failure.code): \(failure.message)" : failure.message
    }

    /// The engine's code for the log's `code` field: SQLite's extended result code, PostgreSQL's SQLSTATE;
    /// "0" when there is none.
    public var faultCode: String {
        guard case .failed(let failure) = self, !failure.code.isEmpty else { return "0" }
        return failure.code
    }
}

/// A failed statement as an engine reported it, with the kind the store and the domain act on; each
/// engine's wrapper makes it from its own errors (SQLite's extended result codes, PostgreSQL's SQLSTATEs).
/// A value.
public struct DatabaseFailure: Equatable, Sendable, CustomStringConvertible {
    /// What the failure means to the store and the domain.
    public enum Kind: Equatable, Sendable {
        /// A UNIQUE constraint failed.
        case unique
        /// A FOREIGN KEY constraint failed.
        case foreignKey
        /// Anything else, as the wire and the log name it (other constraints are `.other`).
        case fault(StorageFault)

        /// The fault the client is told of.
        public var fault: StorageFault {
            if case .fault(let fault) = self { return fault }
            return .other
        }
    }

    /// Who reported the failure.
    public enum Source: String, Sendable {
        case sqlite, postgres
        /// The store itself, finding an answer that cannot be right.
        case store
    }

    public var kind: Kind
    public var source: Source
    /// The engine's code: SQLite's extended result code ("2067"), PostgreSQL's SQLSTATE ("23505"); empty
    /// for the store's own failures.
    public var code: String
    /// The engine's message.
    public var message: String
    /// The SQL or the step that failed.
    public var context: String

    public init(kind: Kind, source: Source, code: String, message: String, context: String) {
        self.kind = kind
        self.source = source
        self.code = code
        self.message = message
        self.context = context
    }

    public var description: String {
        switch source {
        case .sqlite: return "sqlite error \(code): \(message) (\(context))"
        case .postgres: return "postgres \(code): \(message) (\(context))"
        case .store: return "storage error: \(message) (\(context))"
        }
    }
}
