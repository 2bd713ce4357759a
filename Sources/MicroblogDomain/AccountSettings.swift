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

@available(*, unavailable) extension AccountSettings: Sendable {}
