import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Whether `/register NAME` could take a name now, so that what is said before a password is asked for
/// (the SSH guest greeting, `/register NAME` without a password) is what `/register` will find. A value.
enum NameAvailability: Equatable {
    /// No account has it, and none held it lately: it can be registered.
    case free
    /// Not a name an account can have (`AccountRules.validateName`).
    case invalid
    /// An administrator's name or a look-alike of one: the operator's to create.
    case reserved
    /// An account has it, or a look-alike of it.
    case taken
    /// A deleted account had it (or a look-alike): held until then (`deletedNameHold`).
    case held(until: Timestamp)

    /// What a guest (an SSH login under a name no account has) is told about its name; at most 78
    /// characters for a name of up to 20.
    func guestNotice(_ name: String, registration: Registration) -> String {
        let shown = TextSafety.printable(name.prefix(20))
        switch self {
        case .invalid: return "\(shown) cannot be a name here: /register with 3 to 20 letters, digits or _"
        case .reserved: return "the name \(shown) is reserved for an administrator; choose another"
        case .taken: return "the name \(shown) is taken; choose another"
        case .held(let until):
            return "the name \(shown) is held until \(UTCTime(until).iso8601.prefix(10)); choose another"
        case .free:
            switch registration {
            case .open: return "there is no account called \(shown): /register \(shown) makes it yours"
            case .invite: return "there is no account called \(shown): /register \(shown) CODE with an invite code"
            case .closed: return "there is no account called \(shown); new accounts are made by the operator"
            }
        }
    }

    /// The error `/register` gives for a name that is not free; nil for a free one.
    func registerError(_ name: String) -> WireError? {
        switch self {
        case .free: return nil
        case .invalid: return AccountRules.validateName(name).failureValue
        case .reserved:
            return WireError(.nameTaken, "the name \(name) is reserved for an administrator; choose another")
        case .taken: return WireError(.nameTaken, "the name \(name) is taken; choose another")
        case .held(let until):
            return WireError(
                .nameTaken,
                "the name \(name) belonged to a deleted account and is held until \(UTCTime(until).iso8601.prefix(10)); choose another"
            )
        }
    }
}

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension Accounts {
    /// What can be known of `name` without storage: nil when storage must tell (`storedAvailability`).
    func availabilityWithoutStorage(_ name: String) -> NameAvailability? {
        guard case .success = AccountRules.validateName(name) else { return .invalid }
        let key = AccountRules.nameKey(name)
        if settings.admins.contains(where: { AccountRules.nameKey($0) == key }) { return .reserved }
        return nil
    }

    /// What storage says of `name` (on the storage queue): taken by an account, held after a deletion
    /// less than `hold` seconds before `now`, or free.
    static func storedAvailability(of name: String, in store: any Store, hold: Double, now: Timestamp) throws
        -> NameAvailability
    {
        let key = AccountRules.nameKey(name)
        if try store.account(nameKey: key) != nil { return .taken }
        guard let deleted = try store.deletedAt(nameKey: key) else { return .free }
        let until = Timestamp(milliseconds: deleted.milliseconds + Int64(hold * 1000))
        return until.milliseconds > now.milliseconds ? .held(until: until) : .free
    }
}
