import Dispatch
import MicroblogModel
import MicroblogProtocol
import MicroblogSupport

/// A live event rendered at most once per output mode, and wrapped at most once per window width,
/// however many sessions receive it. Text is always wrapped to the reader's width (80 columns when the
/// terminal has not said its own, which most receivers share: that rendering is kept apart, so finding
/// it costs no look-up). Confined to the server queue: made there, and rendered by sessions during the
/// hub's (checked) delivery.
public final class EncodedEvent {
    public let message: ServerMessage
    private let renderedAt: Timestamp
    /// The text renderings, not wrapped: what each width's wrapping starts from.
    private var text: [UInt8]?
    private var coloredText: [UInt8]?
    private var json: [UInt8]?
    /// The text renderings wrapped to `TextWrapper.defaultWidth`.
    private var fittedText: [UInt8]?
    private var fittedColoredText: [UInt8]?
    /// The text renderings wrapped to other widths (terminals that said theirs), by width.
    private var wrappedText: [Int: [UInt8]] = [:]
    private var wrappedColoredText: [Int: [UInt8]] = [:]
    /// Text renderings for readers in a time zone other than UTC, by zone, colour and width (nil: not
    /// wrapped): shared by the readers in one zone as the others are shared by width.
    private var zonedText: [ZonedKey: [UInt8]] = [:]

    private struct ZonedKey: Hashable {
        var zone: String
        var colored: Bool
        var width: Int?
    }

    /// What each of thousands of receivers needs to decide whether it wants the event, taken out of
    /// the post once: copying the whole post per receiver would retain each of its strings and arrays.
    public let facts: PostFacts?

    /// The post the event carries.
    public var post: Post? {
        if case .post(let post, _) = message { return post }
        return nil
    }

    public init(_ message: ServerMessage, at now: Timestamp) {
        self.message = message
        self.renderedAt = now
        if case .post(let post, _) = message { self.facts = PostFacts(post) } else { self.facts = nil }
    }

    /// The event's text in colour, for a viewer, wrapped to `width` columns: shared, unless the event
    /// mentions the viewer (then the mention is highlighted for that viewer alone).
    public func coloredBytes(for colors: TextColors, width: Int = TextWrapper.defaultWidth) -> [UInt8] {
        if case .post(let post, _) = message, let reader = colors.reader, post.mentionIDs.contains(reader.id) {
            return Renderer.render(message, mode: .text, now: renderedAt, colors: colors, width: width)
        }
        if width == TextWrapper.defaultWidth, let fittedColoredText { return fittedColoredText }
        let unwrapped: [UInt8]
        if let coloredText {
            unwrapped = coloredText
        } else {
            unwrapped = Renderer.render(message, mode: .text, now: renderedAt, colors: TextColors())
            coloredText = unwrapped
        }
        if width == TextWrapper.defaultWidth {
            let fitted = fit(unwrapped, width: width)
            fittedColoredText = fitted
            return fitted
        }
        return wrapped(unwrapped, width: width, cache: &wrappedColoredText)
    }

    /// The event's text for a reader in `zone`, coloured if `colors` is given, wrapped to `width` columns.
    /// An event that shows no time is the same in every zone, and comes from the shared renderings.
    public func bytes(in zone: ReaderZone, colors: TextColors?, width: Int = TextWrapper.defaultWidth) -> [UInt8] {
        guard message.showsTime else {
            return colors.map { coloredBytes(for: $0, width: width) } ?? bytes(for: .text, width: width)
        }
        if let colors, case .post(let post, _) = message, let reader = colors.reader,
            post.mentionIDs.contains(reader.id)
        {
            return Renderer.render(message, mode: .text, now: renderedAt, colors: colors, zone: zone, width: width)
        }
        let key = ZonedKey(zone: zone.identifier, colored: colors != nil, width: width)
        if let cached = zonedText[key] { return cached }
        let unwrappedKey = ZonedKey(zone: zone.identifier, colored: colors != nil, width: nil)
        let unwrapped: [UInt8]
        if let cached = zonedText[unwrappedKey] {
            unwrapped = cached
        } else {
            unwrapped = Renderer.render(
                message, mode: .text, now: renderedAt, colors: colors == nil ? nil : TextColors(), zone: zone)
            zonedText[unwrappedKey] = unwrapped
        }
        let fitted = fit(unwrapped, width: width)
        zonedText[key] = fitted
        return fitted
    }

    /// The event's bytes in `mode`, text wrapped to `width` columns (JSON is never wrapped), rendered and
    /// wrapped on first use and shared after that.
    public func bytes(for mode: OutputMode, width: Int = TextWrapper.defaultWidth) -> [UInt8] {
        switch mode {
        case .text:
            if width == TextWrapper.defaultWidth, let fittedText { return fittedText }
            let unwrapped: [UInt8]
            if let text {
                unwrapped = text
            } else {
                unwrapped = Renderer.render(message, mode: .text, now: renderedAt)
                text = unwrapped
            }
            if width == TextWrapper.defaultWidth {
                let fitted = fit(unwrapped, width: width)
                fittedText = fitted
                return fitted
            }
            return wrapped(unwrapped, width: width, cache: &wrappedText)
        case .json:
            if let json { return json }
            let rendered = Renderer.render(message, mode: .json, now: renderedAt)
            json = rendered
            return rendered
        }
    }

    /// `bytes` wrapped to `width`, from `cache` or added to it.
    private func wrapped(_ bytes: [UInt8], width: Int, cache: inout [Int: [UInt8]]) -> [UInt8] {
        if let cached = cache[width] { return cached }
        let fitted = fit(bytes, width: width)
        cache[width] = fitted
        return fitted
    }

    /// `bytes` wrapped to `width`; when wrapping changes nothing, the bytes themselves, so they are
    /// stored once.
    private func fit(_ bytes: [UInt8], width: Int) -> [UInt8] {
        let wrapped = Renderer.fitted(bytes, of: message, width: width)
        return wrapped == bytes ? bytes : wrapped
    }

    /// The widths other than the default this event has been wrapped to so far, in plain and in
    /// coloured text.
    var wrappedWidths: (text: [Int], colored: [Int]) {
        (wrappedText.keys.sorted(), wrappedColoredText.keys.sorted())
    }
}

/// The parts of a live post that decide who receives it. A class, so handing it to each receiver
/// costs one reference count rather than one per field.
public final class PostFacts: Sendable {
    public let id: Int64
    public let authorID: Int64
    /// The author of the post a repost shares.
    public let originalAuthorID: Int64?
    public let mentionIDs: [Int64]
    public let tags: [String]

    init(_ post: Post) {
        id = post.id
        authorID = post.authorID
        originalAuthorID = post.repostOf?.authorID
        mentionIDs = post.mentionIDs
        tags = post.tags
    }
}

/// What became of a live event at one receiver.
public enum LiveOutcome: Sendable {
    /// Written to the connection.
    case delivered
    /// Not wanted (watch setting, mutes), or not for this receiver now (closing).
    case skipped
    /// Kept until a prompt or command reply is done.
    case held
    /// Dropped: the connection is not reading (or too much was held); the session says so later.
    case dropped
}

/// Something that receives live events: a session, in practice.
public protocol LiveSubscriber: AnyObject {
    @discardableResult func receiveLive(_ event: EncodedEvent) -> LiveOutcome
    /// False for a subscriber that is no session (the web door's relay): `Hub.count` leaves it out.
    var isSession: Bool { get }
}

extension LiveSubscriber {
    public var isSession: Bool { true }
}

/// The set of live subscribers and delivery to them. Confined to the server queue (its queue, when it
/// has one, checked at its entry points in every build).
///
/// With a queue, events broadcast during one turn of it are delivered together in one later block:
/// each subscriber is visited once for all of them (a commit of many posts walks thousands of sessions
/// once, not once per post), in the order they were broadcast. Without one, delivery is immediate.
public final class Hub {
    /// The subscribers in a contiguous array, walked for every delivery, and where each one is in it
    /// (removal moves the last one into its place).
    private var subscribers: ContiguousArray<LiveSubscriber> = []
    private var positions: [ObjectIdentifier: Int] = [:]
    private let queue: DispatchQueue?
    private var pending: [EncodedEvent] = []
    /// For each pending event, the subscriber it skips (the session that caused it), if any.
    private var pendingSkips: [ObjectIdentifier?] = []
    /// Live events written to connections, and dropped for connections that did not read, so far.
    public private(set) var delivered = 0
    public private(set) var dropped = 0

    /// The newest posts broadcast, oldest first, at most `recentCapacity`, for greetings: updated as each
    /// walk starts, so a session greeted from them and then subscribed neither misses a post nor gets
    /// one twice. Nil while not known to be complete (at start, after a deletion of one of them, after
    /// `forgetRecent`): a greeting then reads the database, and `seedRecent` fills it again.
    public private(set) var recentPosts: [Post]?
    public var recentCapacity = 10
    /// Counts every change to what `recentPosts` should hold, so a database read that raced with one is
    /// not taken as current (`seedRecent`).
    public private(set) var recentGeneration = 0

    public init(queue: DispatchQueue? = nil) {
        self.queue = queue
    }

    /// Takes `posts` (the newest, oldest first, read when `recentGeneration` was `generation`) as the
    /// recent posts, unless a broadcast or a deletion came since.
    public func seedRecent(_ posts: [Post], generation: Int) {
        checkConfined()
        guard generation == recentGeneration, recentPosts == nil else { return }
        recentPosts = Array(posts.suffix(recentCapacity))
    }

    /// Forgets the recent posts (after the cluster listener lost announcements).
    public func forgetRecent() {
        checkConfined()
        recentPosts = nil
        recentGeneration += 1
    }

    /// True when `postID` (or a repost of it) is among `recentPosts`: its like count is shown in greetings.
    public func recentlyShows(_ postID: Int64) -> Bool {
        recentPosts?.contains { ($0.repostOf?.id ?? $0.id) == postID } ?? false
    }

    /// Sets the like count of `postID` (an original: its reposts show its count) in `recentPosts`, so a
    /// greeting shows what `/feed` shows. A database read that raced with the change is not taken.
    public func updateRecent(likes: Int, of postID: Int64) {
        checkConfined()
        recentGeneration += 1
        guard var recent = recentPosts else { return }
        for index in recent.indices where (recent[index].repostOf?.id ?? recent[index].id) == postID {
            recent[index].likes = likes
        }
        recentPosts = recent
    }

    /// Keeps `events`' posts and deletions in `recentPosts`, as they are walked.
    private func remember(_ events: [EncodedEvent]) {
        for event in events {
            switch event.message {
            case .post(let post, _):
                recentGeneration += 1
                guard var recent = recentPosts else { continue }
                if let last = recent.last, last.id >= post.id {
                    // Out of id order (another node's, late): not where the database's newest would put it.
                    recentPosts = nil
                    continue
                }
                recent.append(post)
                if recent.count > recentCapacity { recent.removeFirst(recent.count - recentCapacity) }
                recentPosts = recent
            case .deleted(let ids):
                recentGeneration += 1
                if let recent = recentPosts, recent.contains(where: { ids.contains($0.id) }) { recentPosts = nil }
            default:
                break
            }
        }
    }

    /// Sessions watching (subscribers that are no session, such as the web door's relay, left out).
    public var count: Int { subscribers.count - relays }
    /// Subscribers that are no session.
    private var relays = 0

    public func add(_ subscriber: LiveSubscriber) {
        checkConfined()
        let key = ObjectIdentifier(subscriber)
        guard positions[key] == nil else { return }
        positions[key] = subscribers.count
        subscribers.append(subscriber)
        if !subscriber.isSession { relays += 1 }
    }

    public func remove(_ subscriber: LiveSubscriber) {
        checkConfined()
        guard let position = positions.removeValue(forKey: ObjectIdentifier(subscriber)) else { return }
        if !subscriber.isSession { relays -= 1 }
        let last = subscribers.removeLast()
        if position < subscribers.count {
            subscribers[position] = last
            positions[ObjectIdentifier(last)] = position
        }
    }

    public func contains(_ subscriber: LiveSubscriber) -> Bool {
        positions[ObjectIdentifier(subscriber)] != nil
    }

    /// Hands `event` to every subscriber except `excluded` (the session that caused it, which gets its
    /// own acknowledgement instead): at the end of this turn of the queue, or now without a queue.
    /// Whoever is subscribed at delivery receives it.
    public func broadcast(_ event: EncodedEvent, excluding excluded: LiveSubscriber? = nil) {
        checkConfined()
        pending.append(event)
        pendingSkips.append(excluded.map(ObjectIdentifier.init))
        guard let queue else { return deliver() }
        if pending.count == 1 {
            queue.asyncConfined { [self] in deliver() }
        }
    }

    /// Hands `event` to one receiver outside the broadcast (a mention to someone not watching),
    /// counted like a broadcast's deliveries.
    public func deliver(_ event: EncodedEvent, to subscriber: LiveSubscriber) {
        checkConfined()
        count(subscriber.receiveLive(event))
    }

    /// The walk every live post takes: each subscriber once for all the turn's events. It reads local
    /// copies (a subscriber that leaves during the walk changes `subscribers`, not the copy), by index,
    /// so the walk itself retains nothing per delivery.
    private func deliver() {
        let events = pending
        let skips = pendingSkips
        pending.removeAll(keepingCapacity: true)
        pendingSkips.removeAll(keepingCapacity: true)
        remember(events)
        let walked = subscribers
        let skipsAny = skips.contains { $0 != nil }
        for position in walked.indices {
            let subscriber = walked[position]
            if skipsAny {
                let key = ObjectIdentifier(subscriber)
                for index in events.indices where skips[index] != key {
                    count(subscriber.receiveLive(events[index]))
                }
            } else {
                for index in events.indices {
                    count(subscriber.receiveLive(events[index]))
                }
            }
        }
    }

    /// Stops the process when called off the hub's queue, in every build (a hub without one is checked by
    /// nothing).
    @inline(__always)
    private func checkConfined() {
        queue?.checkConfined()
    }

    @inline(__always)
    private func count(_ outcome: LiveOutcome) {
        switch outcome {
        case .delivered: delivered += 1
        case .dropped: dropped += 1
        case .skipped, .held: break
        }
    }
}

@available(*, unavailable) extension EncodedEvent: Sendable {}

@available(*, unavailable) extension Hub: Sendable {}
