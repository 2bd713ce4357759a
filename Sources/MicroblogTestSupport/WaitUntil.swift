import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Waits until `condition` holds, checking it every 5 ms for at most `timeout` seconds: the one way
/// tests wait for something that happens elsewhere (another thread, process or server). Returns
/// whether it held.
@discardableResult
public func waitUntil(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { return false }
        usleep(5_000)
    }
    return true
}
