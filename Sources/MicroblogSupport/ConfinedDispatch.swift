import Dispatch
import MicroblogModel

extension DispatchQueue {
    /// Schedules `body` on this queue from code already running on it. `body` may capture objects
    /// confined to this queue: it runs on the same queue, so they never cross threads, which the
    /// compiler cannot see through `async`'s `@Sendable` requirement.
    public func asyncConfined(_ body: @escaping () -> Void) {
        checkConfined()
        let callback = OwnerCallback<Void>(on: self) { _ in body() }
        async { callback.call(()) }
    }

    /// `asyncConfined` after a delay.
    public func asyncAfterConfined(_ delay: DispatchTimeInterval, _ body: @escaping () -> Void) {
        checkConfined()
        let callback = OwnerCallback<Void>(on: self) { _ in body() }
        asyncAfter(deadline: .now() + delay) { callback.call(()) }
    }

    /// `asyncAfterConfined` that can be called off: the timer runs `body` once after `delay` unless it is
    /// cancelled first. Cancelling frees the timer and what `body` holds at once, where an `asyncAfter`
    /// block stays allocated until its time comes, whatever it finds then.
    public func timerConfined(_ delay: DispatchTimeInterval, _ body: @escaping () -> Void) -> DispatchSourceTimer {
        checkConfined()
        let callback = OwnerCallback<Void>(on: self) { _ in body() }
        let timer = DispatchSource.makeTimerSource(queue: self)
        timer.setEventHandler { callback.call(()) }
        timer.schedule(deadline: .now() + delay)
        timer.resume()
        return timer
    }
}
