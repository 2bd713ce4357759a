import MicroblogModel
import MicroblogSupport

/// Notifications: what others did to you (`/notify`, `/notifications`) and the terminal bell (`/bell`).
extension CommandTable {
    static let notifications: [CommandSpec] = [
        CommandSpec(
            name: "notify", usage: ["/notify", "/notify KIND on|off"],
            summary: "which notifications you get live and in /notifications",
            details: [
                "KIND: follow, like, repost, reply or mention (all on at first); remembered for your account.",
                "A kind turned off is not recorded at all. /notify alone shows your choices.",
            ],
            access: .account(toDo: "choose your notifications"), topic: .settings,
            parse: { args in
                if args.words.isEmpty { return .success(.notify(nil, on: true)) }
                guard args.words.count == 2 else { return .failure(args.spec.usageError) }
                guard let kind = NotificationKind(rawValue: args.words[0].lowercased()) else {
                    let kinds = NotificationKind.allCases.map(\.rawValue).joined(separator: ", ")
                    return .failure(
                        WireError(
                            .badUsage,
                            "no notification kind \(TextSafety.printable(args.words[0].prefix(32))); KIND is one of \(kinds)"
                        ))
                }
                switch args.words[1].lowercased() {
                case "on": return .success(.notify(kind, on: true))
                case "off": return .success(.notify(kind, on: false))
                default: return .failure(WireError(.badUsage, "on or off: /notify \(kind.rawValue) on|off"))
                }
            }),
        CommandSpec(
            name: "notifications",
            usage: ["/notifications [N]", "/notifications before|since ID [N]"],
            summary: "who followed you, liked, reposted, replied to or mentioned you",
            details: ["Pages like /feed; IDs are the notifications' own (n12 is 12)."],
            access: .account(toDo: "see your notifications"), topic: .reading,
            parse: { args in
                // `before n12` reads as `before 12`: the text lines show notification ids with an `n`.
                let words = args.words.map { word -> Substring in
                    word.first == "n" && word.count > 1 && Int(word.dropFirst()) != nil ? word.dropFirst() : word
                }
                return parseListing(words[...], args.spec).map(Command.notifications)
            }),
        CommandSpec(
            name: "bell", usage: ["/bell on|off", "/bell"],
            summary: "ring your terminal's bell with a mention or a direct message (off at first)",
            details: [
                "The bell is the one control character the server sends, and only when you ask. Never in JSON mode.",
                "Remembered for your account.",
            ],
            access: .account(toDo: "set the bell"), topic: .settings,
            parse: { args in args.onOff(alone: .bell(nil)) { .bell($0) } }),
    ]
}
