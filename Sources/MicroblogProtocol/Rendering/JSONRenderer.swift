import MicroblogModel
import MicroblogSupport

/// Renders messages as JSON Lines for bots: one object per line, each with a `type`, ended by CR LF
/// like every line the server sends (JSON parsers skip the CR as whitespace).
/// Written by hand, in a fixed key order, so a broadcast costs no reflection or formatter.
/// Each family of messages has its own encoder (`JSONRenderer+Posts.swift`, ...).
public enum JSONRenderer {
    public static func render(_ message: ServerMessage) -> [UInt8] {
        var json = JSONWriter()
        switch message.family {
        case .reply(let reply): write(reply, into: &json)
        case .posts(let posts): write(posts, into: &json)
        case .people(let people): write(people, into: &json)
        case .notifications(let notifications): write(notifications, into: &json)
        case .accountData(let data): write(data, into: &json)
        case .community(let community): write(community, into: &json)
        }
        return json.finish()
    }

    /// One account's data as a JSON line, which `/export` writes in text mode too.
    static func render(_ data: ServerMessage.AccountData) -> [UInt8] {
        var json = JSONWriter()
        write(data, into: &json)
        return json.finish()
    }
}
