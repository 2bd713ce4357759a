/// A live event rendered at most once per output mode, however many sessions receive it.
/// Confined to the server queue.
public final class EncodedEvent {
    public let message: ServerMessage
    private let renderedAt: Timestamp
    private var text: [UInt8]?
    private var coloredText: [UInt8]?
    private var json: [UInt8]?

    /// The post the event carries, taken out once so that each of thousands of receivers need not.
    public let post: Post?

    public init(_ message: ServerMessage, at now: Timestamp) {
        self.message = message
        self.renderedAt = now
        if case .post(let post, _) = message { self.post = post } else { self.post = nil }
    }

    /// The event's bytes in colour, for a viewer: shared, unless the event mentions the viewer (then the
    /// mention is highlighted for that viewer alone).
    public func coloredBytes(for colors: TextColors) -> [UInt8] {
        if case .post(let post, _) = message, let key = colors.viewerKey,
            post.mentions.contains(where: { AccountRules.nameKey($0) == key })
        {
            return Renderer.render(message, mode: .text, now: renderedAt, colors: colors)
        }
        if let coloredText { return coloredText }
        let rendered = Renderer.render(message, mode: .text, now: renderedAt, colors: TextColors())
        coloredText = rendered
        return rendered
    }

    /// The event's bytes in `mode`, rendered on first use and shared after that.
    public func bytes(for mode: OutputMode) -> [UInt8] {
        switch mode {
        case .text:
            if let text { return text }
            let rendered = Renderer.render(message, mode: .text, now: renderedAt)
            text = rendered
            return rendered
        case .json:
            if let json { return json }
            let rendered = Renderer.render(message, mode: .json, now: renderedAt)
            json = rendered
            return rendered
        }
    }
}

/// Something that receives live events: a session, in practice.
public protocol LiveSubscriber: AnyObject {
    func receiveLive(_ event: EncodedEvent)
}

/// The set of live subscribers and delivery to them. Confined to the server queue.
public final class Hub {
    private var subscribers: [ObjectIdentifier: LiveSubscriber] = [:]

    public init() {}

    public var count: Int { subscribers.count }

    public func add(_ subscriber: LiveSubscriber) {
        subscribers[ObjectIdentifier(subscriber)] = subscriber
    }

    public func remove(_ subscriber: LiveSubscriber) {
        subscribers[ObjectIdentifier(subscriber)] = nil
    }

    public func contains(_ subscriber: LiveSubscriber) -> Bool {
        subscribers[ObjectIdentifier(subscriber)] != nil
    }

    /// Hands `event` to every subscriber except `excluded` (the session that caused it, which gets its
    /// own acknowledgement instead).
    public func broadcast(_ event: EncodedEvent, excluding excluded: LiveSubscriber? = nil) {
        let skip = excluded.map(ObjectIdentifier.init)
        for (key, subscriber) in subscribers where key != skip {
            subscriber.receiveLive(event)
        }
    }
}
