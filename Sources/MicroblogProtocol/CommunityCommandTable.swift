import MicroblogModel
import MicroblogSupport

/// An account's own settings (`/passwd`) and a community's own tools: invitations, reports, and the
/// administrators' `/kick` and `/announce`.
extension CommandTable {
    public static let maxReportsListed = 50

    static let account: [CommandSpec] = [
        CommandSpec(
            name: "passwd", usage: ["/passwd [--logout-others]"],
            summary: "change your password (old, then new twice, hidden)",
            details: [
                "You are asked for your password, then the new one twice; an empty answer cancels.",
                "--logout-others also ends your account's other sessions (all doors, this node).",
                "Without it, you are told how many other sessions stay open.",
            ],
            access: .account(toDo: "change your password"),
            topic: .settings,
            parse: { args in
                switch args.words.map({ $0.lowercased() }) {
                case []: return .success(.passwd(logoutOthers: false))
                case ["--logout-others"]: return .success(.passwd(logoutOthers: true))
                default: return .failure(args.spec.usageError)
                }
            }),
        CommandSpec(
            name: "tz", usage: ["/tz [ZONE]"], summary: "show times in your time zone (alone: say which)",
            details: [
                "ZONE: an IANA name such as Europe/Paris, America/New_York or Asia/Tokyo, in any case; UTC resets.",
                "Remembered for your account. Text mode only: JSON times are always UTC.",
            ],
            access: .account(toDo: "choose your time zone"),
            topic: .settings,
            parse: { args in
                guard args.words.count <= 1 else { return .failure(args.spec.usageError) }
                return .success(.timeZone(args.word(0)))
            }),
        CommandSpec(
            name: "web", usage: ["/web on|off", "/web"],
            summary: "show your profile and posts on the web door, or keep them off it (on at first)",
            details: [
                "Off: your profile, posts and reposts of them are on no web page, feed or search there.",
                "The terminal doors are unchanged. Remembered for your account.",
            ],
            access: .account(toDo: "choose web visibility"), topic: .settings,
            parse: { args in args.onOff(alone: .web(nil)) { .web($0) } }),
        CommandSpec(
            name: "export", usage: ["/export"], summary: "all your posts, likes, follows and messages, as JSON Lines",
            details: [
                "One JSON object a line, in text mode too (use nc, or JSON mode): {\"type\":\"export\",\"kind\":...},",
                "then one {\"type\":\"export_end\",...} line with the counts, then the usual reply.",
            ],
            access: .account(toDo: "export your data"), topic: .settings, parse: { args in args.none(.export) }),
        CommandSpec(
            name: "delete-account", usage: ["/delete-account"],
            summary: "delete your account for good (asks your password)",
            details: [
                "Your posts (and reposts of them), messages, follows, likes and SSH keys are removed at once.",
                "Your name stays held for \(HelpFacts.deletedNameHoldDays) days, so nobody can take it (or a look-alike) at once.",
                "/export first if you want to keep a copy.",
            ],
            access: .account(toDo: "delete your account"), topic: .settings,
            parse: { args in args.none(.deleteAccount) }),
        CommandSpec(
            name: "invite", usage: ["/invite"], summary: "make a one-time code that lets someone register",
            details: [
                "With --registration invite, a newcomer types /register NAME CODE [PASSWORD].",
                "Administrators decide who may invite and how many codes each gets.",
            ],
            access: .account(toDo: "invite someone"), topic: .social, parse: { args in args.none(.invite) }),
        CommandSpec(
            name: "invites", usage: ["/invites", "/invites allow NAME N"],
            summary: "your unused invite codes, and how many more you may make",
            details: [],
            access: .account(toDo: "see your invitations"),
            topic: .social, nameArgument: 1,
            forAdministrators: AdministratorsHelp(
                usage: ["/invites allow NAME N"], summary: "your unused invite codes; allow: let NAME make N more",
                details: [
                    "allow NAME N: NAME may make N more codes (0 takes the right away). Administrators only.",
                    "Administrators may always invite.",
                ]),
            parse: { args in
                switch args.word(0)?.lowercased() {
                case nil: return .success(.invites(.list))
                case "allow":
                    guard args.words.count == 3, let name = args.word(1) else {
                        return .failure(WireError(.badUsage, "usage: /invites allow NAME N"))
                    }
                    guard let count = Int(args.words[2]), (0...maxInvitesAllowed).contains(count) else {
                        return .failure(WireError(.badUsage, "N must be a number from 0 to \(maxInvitesAllowed)"))
                    }
                    return .success(.invites(.allow(name, count)))
                default: return .failure(args.spec.usageError)
                }
            }),
        CommandSpec(
            name: "report", usage: ["/report ID REASON"], summary: "flag post ID for the administrators",
            details: ["REASON: 1 to 160 characters. Administrators see it with /reports."],
            access: .account(toDo: "report a post"),
            topic: .posting,
            parse: { args in
                guard let word = args.words.first, let reason = args.rest(after: 1) else {
                    return .failure(args.spec.usageError)
                }
                let id: Int64
                switch postIDResult(word) {
                case .success(let found): id = found
                case .failure(let error): return .failure(error)
                }
                return .success(.report(id, reason: reason))
            }),
    ]

    /// The most codes an administrator may let one account make at a time.
    static let maxInvitesAllowed = 1000

    static let community: [CommandSpec] = [
        CommandSpec(
            name: "kick", usage: ["/kick NAME"], summary: "administrators: end NAME's sessions (no ban)",
            details: ["NAME may log in again at once; /ban keeps them out."],
            access: .administrator(toDo: "kick", forbidden: "only administrators can kick"),
            topic: .admin, nameArgument: 0, parse: { args in args.oneName(Command.kick) }),
        CommandSpec(
            name: "announce", usage: ["/announce TEXT"], summary: "administrators: a notice to everyone online",
            details: ["Sent to every session on every node, whatever it watches; 1 to 280 characters."],
            access: .administrator(toDo: "announce", forbidden: "only administrators can announce"),
            topic: .admin,
            parse: { args in
                guard let text = args.rest(after: 0) else { return .failure(args.spec.usageError) }
                return .success(.announce(text))
            }),
        CommandSpec(
            name: "reports", usage: ["/reports", "/reports close N [NOTE]"],
            summary: "administrators: open reports, or close report N",
            details: [
                "Alone: the open reports, oldest first (at most \(maxReportsListed)).",
                "close N [NOTE]: closes report N (its number in the list); kept in the moderation log.",
            ],
            access: .administrator(toDo: "see reports", forbidden: "only administrators can see reports"),
            topic: .admin,
            parse: { args in
                switch args.word(0)?.lowercased() {
                case nil: return .success(.reports(.list))
                case "close":
                    guard args.words.count >= 2 else { return .failure(args.spec.usageError) }
                    let word = args.words[1].hasPrefix("#") ? args.words[1].dropFirst() : args.words[1]
                    guard let number = Int64(word), number >= 1 else {
                        return .failure(WireError(.badUsage, "N must be a report number from /reports, like 1"))
                    }
                    return .success(.reports(.close(number, note: args.rest(after: 2))))
                default: return .failure(args.spec.usageError)
                }
            }),
    ]
}
