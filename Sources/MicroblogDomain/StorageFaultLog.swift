import MicroblogModel
import MicroblogStorage

extension Microblog {
    /// Logs a store failure (see `CommandDesk.logStorageFault`).
    func logStorageFault(_ error: StoreError, command: String, conn: Int? = nil) {
        desk.logStorageFault(error, command: command, conn: conn)
    }

    /// Answers `command` with the store's failure (see `CommandDesk.storageFailed`).
    func storageFailed(_ error: StoreError, command: String, for session: Session) {
        desk.storageFailed(error, command: command, for: session)
    }
}
