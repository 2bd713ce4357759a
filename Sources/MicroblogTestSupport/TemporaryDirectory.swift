import Foundation

/// A temporary directory removed when the value goes away. Owned by the test or run that made it.
public final class TemporaryDirectory {
    public let path: String

    /// `prefix` names the directory's owner in /tmp, for whoever finds one left behind.
    public init(prefix: String = "microblogd-test-") throws {
        path = NSTemporaryDirectory() + prefix + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
