/// One line that parses, for every command of the registry: the tests that go through every entry use them.
enum CommandSamples {
    static let lines: [String: String] = [
        "register": "/register bob", "login": "/login bob", "logout": "/logout", "post": "/post hi",
        "feed": "/feed", "who": "/who", "watch": "/watch on", "mode": "/mode json", "help": "/help",
        "quit": "/quit", "follow": "/follow bob", "unfollow": "/unfollow bob", "following": "/following",
        "followers": "/followers bob", "mute": "/mute bob", "unmute": "/unmute bob", "timeline": "/timeline 5",
        "posts": "/posts bob since 3",
        "mentions": "/mentions", "tag": "/tag #Swift 5", "trending": "/trending", "search": "/search a b",
        "profile": "/profile", "bio": "/bio hi",
        "away": "/away", "back": "/back", "msg": "/msg bob hi", "inbox": "/inbox bob 5", "catchup": "/catchup",
        "ban": "/ban bob spam", "color": "/color on", "term": "/term char", "unban": "/unban bob",
        "stats": "/stats",
        "reply": "/reply 4 yes",
        "thread": "/thread #4", "like": "/like 4", "unlike": "/unlike 4", "repost": "/repost 4",
        "delete": "/delete 4", "key": "/key list", "passwd": "/passwd", "tz": "/tz Europe/Paris",
        "export": "/export", "delete-account": "/delete-account", "invite": "/invite", "invites": "/invites",
        "report": "/report 4 spam", "kick": "/kick bob", "announce": "/announce hi", "reports": "/reports",
        "notify": "/notify like off",
        "notifications": "/notifications before n5 3", "bell": "/bell on", "web": "/web off",
    ]
}
