/// The lines a session has read and not yet run, oldest first, and whether more can come. Confined to
/// the server queue, as its `Session`.
struct InputQueue {
    private var lines: [Session.Input] = []
    /// Lines before it have been taken: taking one moves it on rather than shifting the array.
    private var start = 0
    /// True once the client will send nothing more: what is queued is the last of its input.
    var ended = false

    var count: Int { lines.count - start }

    mutating func append(_ input: Session.Input) {
        lines.append(input)
    }

    /// The next line, without taking it.
    func peek() -> Session.Input? {
        start < lines.count ? lines[start] : nil
    }

    /// Takes the next line. Emptied, the queue lets go of its array: an idle session holds none.
    mutating func next() -> Session.Input? {
        guard start < lines.count else { return nil }
        let input = lines[start]
        start += 1
        if start == lines.count {
            lines = []
            start = 0
        }
        return input
    }
}
