import Dispatch
import MicroblogModel

/// Carries a closure that belongs to one queue (its owner) through another queue untouched, and checks
/// (in every build) that it is called back on its owner.
/// `@unchecked Sendable`: the closure is only ever called on `owner`, which `call` checks.
public final class OwnerCallback<T>: @unchecked Sendable {
    private let owner: DispatchQueue
    private let body: (T) -> Void

    /// `body` will be called on `owner` only.
    public init(on owner: DispatchQueue, _ body: @escaping (T) -> Void) {
        self.owner = owner
        self.body = body
    }

    /// Calls the closure; must run on the owner queue.
    public func call(_ value: T) {
        owner.checkConfined()
        body(value)
    }
}
