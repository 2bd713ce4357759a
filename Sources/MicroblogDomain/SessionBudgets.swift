import MicroblogSupport

/// What one connection may use up: unsent output, and commands by the command rate. Confined to the
/// server queue, as its `Session`; `outputLimit` is read for every live post.
struct SessionBudgets {
    /// Bytes the connection may hold unsent (`--output-limit`); 0: no limit.
    let outputLimit: Int
    var command: TokenBucket

    init(settings: MicroblogSettings, now: Double) {
        outputLimit = settings.outputLimit
        command = TokenBucket(rate: settings.commandRate, burst: settings.commandBurst, now: now)
    }

    /// The connection's shares of what its address may use (see `Microblog.takePasswordCheck` and
    /// `Microblog.takeSearch`), each nil until first used, as a full bucket. Kept out of line by the
    /// session (`Session.Rare`): most connections never check a password or search. Same queue.
    struct Shares {
        var passwordChecks: TokenBucket?
        var searches: TokenBucket?
    }
}
