/// Carries a closure that belongs to the server queue through another queue untouched.
/// `@unchecked Sendable`: the closure is only ever called on the queue that created it.
final class OwnerCallback<T>: @unchecked Sendable {
    private let body: (T) -> Void
    init(_ body: @escaping (T) -> Void) { self.body = body }
    func call(_ value: T) { body(value) }
}
