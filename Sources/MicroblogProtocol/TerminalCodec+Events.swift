import MicroblogModel
import MicroblogSupport

/// What a `TerminalCodec` is configured with and hands over.
extension TerminalCodec {
    public struct Configuration: Sendable, Equatable {
        /// The stream may carry telnet: IAC sequences are removed and answered, and character mode may
        /// be negotiated. False for a stream that never does (an SSH channel): byte 255 is data.
        public var telnet: Bool
        /// Character mode is offered unasked to every client that shows it speaks telnet.
        public var offersCharacterMode: Bool
        /// The most bytes a line may hold (see `LineDecoder`).
        public var maxLineBytes: Int
        /// The input line's prompt in character mode.
        public var prompt: String

        public init(
            telnet: Bool = true, offersCharacterMode: Bool = true, maxLineBytes: Int = 4096, prompt: String = "> "
        ) {
            self.telnet = telnet
            self.offersCharacterMode = offersCharacterMode
            self.maxLineBytes = maxLineBytes
            self.prompt = prompt
        }
    }

    /// What the input holds, for the caller, in stream order.
    public enum Event: Equatable, Sendable {
        /// A complete line without its terminator, not yet checked for UTF-8.
        case line([UInt8])
        /// A line grew past `maxLineBytes`; the rest of it is discarded.
        case lineTooLong
        /// Ctrl-D on an empty line in line mode (EOT as a line's first byte, see `LineDecoder`): leave, as
        /// Ctrl-D does in character mode (`LineEditor.endOfInputLine`); at a password prompt, cancel it.
        case endOfTransmission
        /// Bytes to send to the peer now: telnet answers, echo and redraws of the input line.
        case send([UInt8])
        /// Tab after `word` in character mode; `line` is the input line up to the cursor. Answer with
        /// `complete(with:)` before taking the next event.
        case complete(word: String, line: String)
        /// The peer asked whether we are still there (telnet AYT).
        case areYouThere
        /// The person pressed Ctrl-C in a line-mode telnet client (telnet IP): cancels a password prompt.
        case interrupt
        /// The client refused the character mode the person asked for (`requestCharacterMode`).
        case characterModeRefused
    }

    /// How a password prompt hides what is typed (see `hideInput`).
    public enum HiddenInput: Equatable, Sendable {
        /// Character mode: the editor shows the prompt and a star per character; send these bytes and
        /// nothing else.
        case masked([UInt8])
        /// A telnet client in line mode: send these bytes (WILL ECHO, or none if echo is already ours),
        /// then the prompt.
        case echoOff([UInt8])
        /// No way to hide it: the terminal will show what is typed.
        case visible
    }

    /// The narrowest window width used; a narrower report is ignored, as it is most likely wrong.
    public static let minimumWidth = TextWrapper.minimumWidth
}

extension TerminalCodec {
    /// Decodes `bytes` and hands over all their events, answering completions from `completions`
    /// (given the word and the line). For tests and simple callers.
    public mutating func decode<Bytes: Sequence>(
        _ bytes: Bytes, answeringTelnet: Bool = true, completions: (String, String) -> [String] = { _, _ in [] }
    ) -> [Event] where Bytes.Element == UInt8 {
        receive(bytes, answeringTelnet: answeringTelnet)
        var events: [Event] = []
        while let event = nextEvent() {
            events.append(event)
            if case .complete(let word, let line) = event { complete(with: completions(word, line)) }
        }
        return events
    }
}
