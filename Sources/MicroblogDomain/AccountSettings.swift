import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// What an account sets for itself and keeps: the zone it reads times in (`/tz`) and, in
/// `KeyCommands.swift`, the SSH keys it logs in with (`/key`). Registering, logging in, passwords and
/// deletion are `Accounts`'. No state of its own. Confined to the server queue.
final class AccountSettings {
    let queue: DispatchQueue
    let storage: StorageWorker
    let desk: CommandDesk
    let log: Logger
    /// Called when `/web` changes whom the web door hides (set by `Microblog`).
    var onWebVisibilityChange: (_ userID: Int64, _ hidden: Bool) -> Void = { _, _ in }

    init(queue: DispatchQueue, storage: StorageWorker, desk: CommandDesk, log: Logger) {
        self.queue = queue
        self.storage = storage
        self.desk = desk
        self.log = log
    }

    /// `/tz [ZONE]`: the zone the account reads times in, shared by its sessions and remembered.
    func setTimeZone(_ typed: String?, by user: User, for session: Session) {
        queue.checkConfined()
        let now = Timestamp.now()
        guard let typed else {
            let message = session.zone.map { zone in
                "times are shown in \(zone.identifier) (\(zone.abbreviation(at: now)), now \(UTCTime(zone.wallClock(now)).short(relativeTo: UTCTime(zone.wallClock(now)))))"
            }
            return session.send(
                .ok(
                    Ack(
                        command: "tz",
                        message: message
                            ?? "times are shown in UTC (now \(UTCTime(now).short(relativeTo: UTCTime(now)))); /tz ZONE changes it",
                        fields: [.string("zone", session.zone?.identifier ?? "UTC")])))
        }
        let zone: ReaderZone?
        if ReaderZone.isUTC(typed) {
            zone = nil
        } else if let found = ReaderZone(named: typed) {
            zone = found
        } else {
            return session.send(
                .error(
                    WireError(
                        .badZone,
                        "no time zone is called \(TextSafety.printable(typed.prefix(64))); use an IANA name such as Europe/Paris or America/New_York, or UTC"
                    ), command: "tz"))
        }
        let reply = desk.waiting(session, command: "tz")
        let stored = zone?.identifier ?? ""
        storage.perform({ store in try store.setTimeZone(user.id, stored) }) { [self] result in
            switch result {
            case .success:
                // Every session of the account shares its viewer, so all of them change at once.
                session.viewer?.zone = zone
                let message =
                    zone.map { "times are now shown in \($0.identifier) (\($0.abbreviation(at: now)))" }
                    ?? "times are now shown in UTC"
                session.send(
                    .ok(Ack(command: "tz", message: message, fields: [.string("zone", zone?.identifier ?? "UTC")])))
            case .failure(let error):
                desk.storageFailed(error, command: "tz", for: session)
            }
            reply.finish()
        }
    }
}

extension AccountSettings {
    /// `/web on|off`: whether the web door shows the account's profile and posts (pages read the store, so
    /// at once; its live streams within a second); `/web` says which.
    func setWeb(_ on: Bool?, by user: User, for session: Session) {
        queue.checkConfined()
        let reply = desk.waiting(session, command: "web")
        storage.perform({ store -> (shown: Bool, changed: Bool) in
            guard let on else { return (try !store.isWebOff(user.id), false) }
            return (on, try store.setWebOff(user.id, !on))
        }) { [self] result in
            switch result {
            case .success(let (shown, changed)):
                let message: String
                switch (on, shown) {
                case (nil, true): message = "the web door shows your profile and posts (/web off keeps them off it)"
                case (nil, false): message = "the web door does not show your profile or posts (/web on shows them)"
                case (_, true):
                    message =
                        changed
                        ? "the web door shows your profile and posts again"
                        : "the web door already shows your profile and posts"
                case (_, false):
                    message =
                        changed
                        ? "the web door no longer shows your profile or posts (the terminal doors do)"
                        : "the web door already keeps your profile and posts off it"
                }
                if changed {
                    log.info("web_setting", ["conn": session.id, "user": user.name, "shown": shown ? "yes" : "no"])
                    onWebVisibilityChange(user.id, !shown)
                }
                session.send(.ok(Ack(command: "web", message: message, fields: [.bool("shown", shown)])))
            case .failure(let error):
                desk.storageFailed(error, command: "web", for: session)
            }
            reply.finish()
        }
    }
}

@available(*, unavailable) extension AccountSettings: Sendable {}
