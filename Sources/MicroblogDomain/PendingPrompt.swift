/// A password prompt a session has open: what it asks for, and since when (monotonic seconds), for
/// `--prompt-timeout`. Confined to the server queue, as its `Session`.
struct PendingPrompt {
    let prompt: Session.Prompt
    let started: Double
}
