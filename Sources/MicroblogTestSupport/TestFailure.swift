/// A failure while talking to a server or a process, saying what was received so far.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
