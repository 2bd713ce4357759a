extension Session {
    /// Where a session is in its life. Lines run only when it is `ready`; each state says why they wait.
    enum Lifecycle: Equatable {
        /// The banner and the latest posts are on their way; lines wait, live posts are not sent yet.
        case greeting
        /// Lines run as they come.
        case ready
        /// A command waits for storage or hashing (`command`, whose reply is still due), or lines are
        /// paused by the command rate (nil); later lines wait.
        case running(command: String?)
        /// The connection holds as much unsent output as it may; lines wait until it drains.
        case waitingForDrain
        /// After `/quit`, a ban or idleness: no further line runs and no live post is sent; a reply
        /// still due is written.
        case quitting
        /// After the shutdown goodbye: nothing more is written, not even a late reply.
        case saidGoodbye
        /// The connection is gone.
        case closed

        /// True while the greeting or a command is being waited for.
        var isWaiting: Bool {
            switch self {
            case .greeting, .running: return true
            default: return false
            }
        }

        /// The command whose reply is still due, if any.
        var commandInFlight: String? {
            if case .running(let command) = self { return command }
            return nil
        }

        /// True from the goodbye on: no line runs and no live post is sent.
        var isLeaving: Bool {
            switch self {
            case .quitting, .saidGoodbye, .closed: return true
            default: return false
            }
        }

        /// True while replies are written.
        var writes: Bool { self != .saidGoodbye && self != .closed }
    }
}
