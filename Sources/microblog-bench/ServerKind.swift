import MicroblogTestSupport

/// The servers `compare` measures side by side, and what their watchers and posters say to them. Each
/// delivery is one line holding `t=SEND_TIME` (see `DeliveryLines`), whatever frames it.
enum ServerKind: String, CaseIterable, Sendable {
    /// microblogd's plain door: a watcher is a guest session, which gets live posts after its greeting.
    case microblogd
    /// `redis-server` pub/sub: a watcher sends `SUBSCRIBE feed`, the poster `PUBLISH feed PAYLOAD`.
    case redis
    /// The bare broadcast loop (`BroadcastLoop`, run as `microblog-bench bare-loop`): no protocol.
    case bareLoop = "bare loop"

    /// What a watcher sends once connected.
    var subscribeRequest: [UInt8] {
        switch self {
        case .microblogd, .bareLoop: []
        case .redis: Array("SUBSCRIBE feed\r\n".utf8)
        }
    }

    /// Whether a watcher is subscribed as soon as it is connected (the bare loop has nothing to say; the
    /// benchmark then waits until the loop holds every connection, see `FanoutScenario`).
    var subscribedOnConnect: Bool { self == .bareLoop }

    /// Whether `line` (without its LF) says the watcher now gets what is posted: microblogd's greeting
    /// ends with the line about new posts, Redis answers `SUBSCRIBE` with the subscription count `:1`.
    func isSubscribed(_ line: String) -> Bool {
        switch self {
        case .microblogd: line.contains("new posts appear below")
        case .redis: line.hasPrefix(":")
        case .bareLoop: true
        }
    }

    /// The bytes that post `lines` (each holding its send time): microblogd takes each line as a post;
    /// Redis gets one `PUBLISH feed LINE` per line as a RESP array, so the payload is never parsed; the
    /// bare loop passes the lines on as they are.
    func postBytes(_ lines: [String]) -> [UInt8] {
        switch self {
        case .microblogd, .bareLoop:
            return Array((lines.joined(separator: "\n") + "\n").utf8)
        case .redis:
            var text = ""
            for line in lines {
                text += "*3\r\n$7\r\nPUBLISH\r\n$4\r\nfeed\r\n$\(line.utf8.count)\r\n\(line)\r\n"
            }
            return Array(text.utf8)
        }
    }

    /// Whether the server answers each post (microblogd and Redis do; the bare loop says nothing).
    var answersPosts: Bool { self != .bareLoop }

    /// What a line the poster reads says about one post (see `PostAnswer`); nil for a line that answers
    /// no post, and for every line from the bare loop, which answers nothing.
    func postAnswer(_ line: String) -> PostAnswer? {
        switch self {
        case .microblogd: PostAnswer.microblogd(line)
        case .redis: PostAnswer.redis(line)
        case .bareLoop: nil
        }
    }
}
