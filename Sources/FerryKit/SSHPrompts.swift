/// SSHPrompts is who answers when a connection needs a person: a host key
/// not yet in known_hosts (StrictHostKeyChecking ask), a password or
/// keyboard-interactive question, the passphrase of an encrypted key file.
///
/// The library's default, `none`, asks nobody, as ssh's BatchMode: an
/// unknown host key under `ask` is refused, and password and
/// keyboard-interactive authentication are not tried. A program that has a
/// person at hand passes handlers; the `ferry` command passes its terminal.
public struct SSHPrompts: Sendable {
    /// Asked whether to trust an unknown host key; answer true to accept
    /// and record it.
    public var hostKey: HostKeyPrompt?
    /// Answers password and keyboard-interactive questions; returning nil
    /// cancels that method.
    public var authentication: AuthenticationPromptHandler?
    /// Gives the passphrase of an encrypted identity file; nil skips the key.
    public var passphrase: IdentityFiles.PassphraseProvider?

    public init(hostKey: HostKeyPrompt? = nil, authentication: AuthenticationPromptHandler? = nil,
                passphrase: IdentityFiles.PassphraseProvider? = nil) {
        self.hostKey = hostKey
        self.authentication = authentication
        self.passphrase = passphrase
    }

    /// Nobody is asked (BatchMode).
    public static let none = SSHPrompts()

    /// True when no handler is set.
    public var asksNobody: Bool { hostKey == nil && authentication == nil && passphrase == nil }
}

/// SSHMessage is text the server or the connection has for a person: a
/// banner (`Banner` in sshd_config), or a warning such as "Permanently
/// added 'host' to the list of known hosts" or an unprotected key file.
public struct SSHMessage: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Sent by the server before authentication (SSH_MSG_USERAUTH_BANNER)
        /// or as a debug message it marked for display.
        case banner
        /// Said by ferry about the connection.
        case warning
    }

    public let kind: Kind
    /// The text, without a trailing newline added; a banner is as the server sent it.
    public let text: String

    public init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
    }
}
