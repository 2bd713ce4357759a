import CSQLite
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// A statement's time limit on SQLite: a progress handler, called every `progressSteps` virtual-machine
/// steps while a statement runs, stops it (SQLITE_INTERRUPT) once the deadline has passed. Only this
/// connection is affected, and only inside `withTimeLimit`.
extension SQLiteDatabase {
    /// Virtual-machine steps between two looks at the clock: a few microseconds of work, so a statement
    /// stops within well under a millisecond of its deadline, and the clock costs almost nothing.
    static let progressSteps: Int32 = 1000

    /// Runs `body`; a statement still running `seconds` after the start is stopped, and `body`'s failure
    /// is then thrown as `StoreError.timedOut`.
    public func withTimeLimit<Result>(_ seconds: Double, _ body: () throws -> Result) throws -> Result {
        guard let handle else { throw StoreError.closed }
        let deadline = Unmanaged.passRetained(Deadline(MonotonicClock.now() + seconds))
        sqlite3_progress_handler(
            handle, Self.progressSteps,
            { context in
                guard let context else { return 0 }
                let deadline = Unmanaged<Deadline>.fromOpaque(context).takeUnretainedValue()
                return MonotonicClock.now() >= deadline.at ? 1 : 0
            }, deadline.toOpaque())
        defer {
            sqlite3_progress_handler(handle, 0, nil, nil)
            deadline.release()
        }
        do {
            return try body()
        } catch let error as StoreError where error.sqliteCode.map({ $0 & 0xff == SQLITE_INTERRUPT }) == true {
            throw StoreError.timedOut
        }
    }
}

/// The moment a limited statement must stop, for the progress handler (a C callback: it gets a pointer,
/// not a capture). Read on the connection's queue only.
private final class Deadline {
    let at: Double
    init(_ at: Double) { self.at = at }
}
