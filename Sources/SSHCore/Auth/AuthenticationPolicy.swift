/// AuthenticationPolicy says which authentication methods a client may try
/// and in what order, as ssh_config(5) sets them: `PreferredAuthentications`,
/// the per-method switches, `BatchMode` and `NumberOfPasswordPrompts`.
///
/// Methods are tried in `preferredMethods` order, skipping those the server
/// did not list and those switched off, as OpenSSH's `authmethod_get` does.
public struct AuthenticationPolicy: Sendable, Equatable {
    /// OpenSSH's default order, less gssapi-with-mic (not implemented).
    public static let defaultPreferredMethods = ["publickey", "keyboard-interactive", "password"]

    /// Method names in the order to try them; unknown names are passed over.
    public var preferredMethods: [String]
    /// PubkeyAuthentication.
    public var publicKey: Bool
    /// PasswordAuthentication.
    public var password: Bool
    /// KbdInteractiveAuthentication.
    public var keyboardInteractive: Bool
    /// BatchMode: never ask anybody, so password and keyboard-interactive are
    /// never tried (ssh marks them `batch_flag`).
    public var batchMode: Bool
    /// NumberOfPasswordPrompts: attempts of password, and separately of
    /// keyboard-interactive, before the method is given up.
    public var numberOfPasswordPrompts: Int
    /// Whether the owner can answer prompts (has a terminal, askpass or an
    /// answer closure). Without, only a password given as a credential can
    /// answer password and keyboard-interactive.
    public var canPrompt: Bool
    /// The host name used in the password prompt ("user@host's password: ")
    /// and in "Permission denied" messages.
    public var host: String

    public init(preferredMethods: [String] = AuthenticationPolicy.defaultPreferredMethods,
                publicKey: Bool = true, password: Bool = true, keyboardInteractive: Bool = true,
                batchMode: Bool = false, numberOfPasswordPrompts: Int = 3, canPrompt: Bool = false,
                host: String = "") {
        self.preferredMethods = preferredMethods
        self.publicKey = publicKey
        self.password = password
        self.keyboardInteractive = keyboardInteractive
        self.batchMode = batchMode
        self.numberOfPasswordPrompts = max(0, numberOfPasswordPrompts)
        self.canPrompt = canPrompt
        self.host = host
    }
}
