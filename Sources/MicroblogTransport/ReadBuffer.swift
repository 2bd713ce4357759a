/// One read buffer shared by every connection on the server queue: reads happen one at a time there,
/// so idle connections hold no buffer of their own. Confined to the server queue.
public final class ReadBuffer {
    public var bytes: [UInt8]
    public init(size: Int = 64 * 1024) { bytes = [UInt8](repeating: 0, count: size) }
}
