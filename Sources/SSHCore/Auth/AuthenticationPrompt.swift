import SSHCrypto

/// AuthenticationPrompt is a question the authentication layer needs a person
/// (or a program standing in for one) to answer: a password, or the prompts
/// of a keyboard-interactive round (RFC 4256 §3.2). The sans-I/O machine
/// pauses on it; the owner answers off the event loop and resumes the machine
/// with the answers, as it does for host-key verification.
///
/// All text is the server's or built from the server's, already made safe for
/// a terminal, so a hostile server cannot drive the user's terminal through it.
public struct AuthenticationPrompt: Sendable, Equatable {
    /// Which method asks.
    public enum Kind: Sendable, Equatable {
        /// The `password` method: one prompt, echo off.
        case password
        /// A keyboard-interactive round: the server's prompts.
        case keyboardInteractive
    }

    /// One line to ask.
    public struct Question: Sendable, Equatable {
        /// The text to show, e.g. "Password: " (terminal-safe).
        public let text: String
        /// Whether the answer may be shown as it is typed (false for secrets).
        public let echo: Bool

        public init(text: String, echo: Bool) {
            self.text = text
            self.echo = echo
        }
    }

    public let kind: Kind
    /// The round's name (keyboard-interactive), shown before the prompts when not empty.
    public let name: String
    /// Instructions shown before the prompts when not empty; for a password
    /// retry, "Permission denied, please try again." as ssh says it.
    public let instruction: String
    /// The questions, in order; may be empty (a round that only informs).
    public let questions: [Question]

    public init(kind: Kind, name: String = "", instruction: String = "", questions: [Question]) {
        self.kind = kind
        self.name = name
        self.instruction = instruction
        self.questions = questions
    }
}

/// Answers an `AuthenticationPrompt`: one secret per question, in order, or
/// nil when nobody can answer (no terminal, askpass refused): the method is
/// then given up and the next one tried. Throwing aborts the connection.
/// The machine zeroes the answers once they are sent.
public typealias AuthenticationPromptHandler = @Sendable (AuthenticationPrompt) async throws -> [SecureBytes]?
