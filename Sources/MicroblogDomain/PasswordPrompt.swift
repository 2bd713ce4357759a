import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// The hidden password prompt: asking, answering, cancelling and timing out.
extension Accounts {

    /// Asks for a hidden value. Telnet clients are told to stop echoing (IAC WILL ECHO); others are
    /// warned that their terminal will show what they type.
    func startPrompt(_ prompt: Session.Prompt, text: String, for session: Session) {
        // An SSH one-shot command has no input to answer with (its stdin is not read): say so.
        guard !session.runsOneCommand else {
            return session.send(
                .error(
                    WireError(
                        .badUsage,
                        "that asks for a password, which a one-shot command cannot answer; run it in a session"
                            + " (ssh without a command)"), command: nil))
        }
        session.pendingPrompt = PendingPrompt(prompt: prompt, started: MonotonicClock.now())
        session.live.holding = true
        switch session.mode {
        case .json:
            session.send(.prompt(field: prompt.field, text: text))
        case .text:
            let hidden = session.terminal.hideInput(prompt: text)
            if case .masked(let redraw) = hidden {
                // Character mode already echoes nothing by itself: the editor shows stars.
                return session.sendRaw(redraw)
            }
            if case .echoOff(let bytes) = hidden {
                session.sendRaw(bytes)
            } else if case .repeatPassword = prompt {
                // Already warned.
            } else if case .changedPassword = prompt {
                // Already warned.
            } else if case .repeatChangedPassword = prompt {
                // Already warned.
            } else {
                session.send(.notice("your terminal will show what you type; an empty line cancels"))
            }
            session.send(.prompt(field: prompt.field, text: text))
        }
    }

    /// Leaves prompt mode and gives echo back. Live posts held meanwhile follow the command's reply.
    /// True when what it sent ended the prompt's line.
    @discardableResult
    func endPrompt(_ session: Session) -> Bool {
        session.pendingPrompt = nil
        // The client's echo back, and the Enter it did not echo either.
        let bytes = session.terminal.showInput()
        session.sendRaw(bytes)
        return bytes.last == 10
    }

    /// Gives up a prompt nobody answered within `promptTimeout`.
    func timeOutPrompt(_ session: Session) {
        queue.checkConfined()
        guard let prompt = session.prompt else { return }
        let lineEnded = endPrompt(session)
        // Nobody pressed Enter: on a terminal that shows the prompt as a line of its own (nc, ssh without a
        // PTY), the error would follow "Password: " on its line. Character mode redraws the line itself.
        if session.mode == .text && !lineEnded && !session.terminal.isCharacterMode { session.sendRaw([13, 10]) }
        let command = prompt.command
        session.send(
            .error(
                WireError(.promptTimeout, "no answer within \(Int(settings.promptTimeout)) s; /\(command) again"),
                command: command))
    }

    func answerPrompt(_ prompt: Session.Prompt, with line: String, for session: Session) {
        queue.checkConfined()
        let value = AccountRules.typedPassword(line) ?? ""
        if value.isEmpty, prompt.command == "register" {
            endPrompt(session)
            return session.send(.error(WireError(.badPassword, "registration cancelled"), command: "register"))
        }
        switch prompt {
        case .loginPassword(let name):
            endPrompt(session)
            if value.isEmpty {
                return session.send(.error(WireError(.badLogin, "login cancelled"), command: "login"))
            }
            verifyLogin(name: name, password: value, for: session)
        case .newPassword(let name, let invite):
            if case .failure(let error) = AccountRules.validatePassword(value) {
                endPrompt(session)
                return session.send(.error(error, command: "register"))
            }
            if session.isTelnetLike && session.mode == .text && !session.terminal.isCharacterMode {
                session.sendRaw([13, 10])
            }
            startPrompt(
                .repeatPassword(name: name, password: value, invite: invite), text: "Repeat the password: ",
                for: session)
        case .repeatPassword(let name, let password, let invite):
            endPrompt(session)
            guard value == password else {
                return session.send(
                    .error(
                        WireError(.passwordMismatch, "the two passwords differ; nothing was created"),
                        command: "register"))
            }
            createAccount(name: name, password: password, invite: invite, for: session)
        case .currentPassword, .changedPassword, .repeatChangedPassword:
            answerPasswordChange(prompt, with: value, for: session)
        case .deleteAccountPassword:
            endPrompt(session)
            confirmDeletion(password: value, for: session)
        }
    }
}

extension Session.Prompt {
    /// The command that asked.
    var command: String {
        switch self {
        case .loginPassword: return "login"
        case .newPassword, .repeatPassword: return "register"
        case .currentPassword, .changedPassword, .repeatChangedPassword: return "passwd"
        case .deleteAccountPassword: return "delete-account"
        }
    }

    var field: String {
        switch self {
        case .loginPassword, .newPassword, .currentPassword, .deleteAccountPassword: return "password"
        case .repeatPassword: return "repeat_password"
        case .changedPassword: return "new_password"
        case .repeatChangedPassword: return "repeat_new_password"
        }
    }
}
