import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Accounts coming and going: `/register`, `/login` and `/logout` (`AccountCommands.swift`), checking
/// passwords and signing in (`PasswordChecks.swift`, also for the SSH door), `/passwd`
/// (`PasswordCommands.swift`), the hidden password prompt (`PasswordPrompt.swift`), `/delete-account`
/// (`AccountDataCommands.swift`) and whether a name is free (`NameAvailability.swift`). It owns the
/// hashing pool. Confined to the server queue.
final class Accounts {
    let queue: DispatchQueue
    let settings: MicroblogSettings
    let storage: StorageWorker
    let hub: Hub
    let directory: SessionDirectory
    let limits: Limits
    let desk: CommandDesk
    let notifications: Notifications
    let log: Logger
    /// Where passwords are hashed and checked, fairly between addresses.
    let hashing: FairPool
    /// How to reach the encrypted doors, for the `plaintext_denied` error (e.g. "TLS on port 4243").
    var secureDoors: [String] = []

    init(
        queue: DispatchQueue, settings: MicroblogSettings, storage: StorageWorker, hub: Hub,
        directory: SessionDirectory, limits: Limits, desk: CommandDesk, notifications: Notifications, log: Logger
    ) {
        self.queue = queue
        self.settings = settings
        self.storage = storage
        self.hub = hub
        self.directory = directory
        self.limits = limits
        self.desk = desk
        self.notifications = notifications
        self.log = log
        self.hashing = FairPool(
            label: "microblogd.hashing", ownerQueue: queue, maxConcurrent: settings.hashingConcurrency)
    }
}

@available(*, unavailable) extension Accounts: Sendable {}
