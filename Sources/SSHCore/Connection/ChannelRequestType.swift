import NIOCore

/// ChannelRequestType is the request type of SSH_MSG_CHANNEL_REQUEST together
/// with its type-specific fields (RFC 4254 §6).
///
/// Types ferry does not interpret (e.g. "keepalive@openssh.com",
/// "eow@openssh.com", "break") travel as `.other` with their bytes undecoded;
/// the multiplexer answers them with CHANNEL_FAILURE when a reply is wanted.
@_spi(Internals) public enum ChannelRequestType: Sendable, Equatable {
    /// "pty-req": allocate a pseudo-terminal (RFC 4254 §6.2).
    case pseudoTerminal(PseudoTerminalRequest)
    /// "x11-req": forward X11 connections (RFC 4254 §6.3.1).
    case x11(singleConnection: Bool, authenticationProtocol: String, authenticationCookie: String, screenNumber: UInt32)
    /// "env": set an environment variable for the command to come (RFC 4254 §6.4).
    case environment(name: String, value: String)
    /// "shell": start the user's login shell (RFC 4254 §6.5).
    case shell
    /// "exec": run one command (RFC 4254 §6.5).
    case exec(command: String)
    /// "subsystem": start a named subsystem such as "sftp" (RFC 4254 §6.5).
    case subsystem(name: String)
    /// "window-change": the terminal was resized (RFC 4254 §6.7).
    case windowChange(columns: UInt32, rows: UInt32, pixelWidth: UInt32, pixelHeight: UInt32)
    /// "xon-xoff": whether the client may do flow control with ^S/^Q (RFC 4254 §6.8).
    case xonXoff(clientCanDo: Bool)
    /// "signal": deliver a signal, name without the "SIG" prefix (RFC 4254 §6.9).
    case signal(name: String)
    /// "exit-status": the remote command exited with this status (RFC 4254 §6.10).
    case exitStatus(UInt32)
    /// "exit-signal": the remote command was killed by a signal (RFC 4254 §6.10).
    case exitSignal(ExitSignal)
    /// Any other request type, with its type-specific data as received.
    case other(name: String, data: ByteBuffer)

    /// The request type string as on the wire.
    public var name: String {
        switch self {
        case .pseudoTerminal: "pty-req"
        case .x11: "x11-req"
        case .environment: "env"
        case .shell: "shell"
        case .exec: "exec"
        case .subsystem: "subsystem"
        case .windowChange: "window-change"
        case .xonXoff: "xon-xoff"
        case .signal: "signal"
        case .exitStatus: "exit-status"
        case .exitSignal: "exit-signal"
        case .other(let name, _): name
        }
    }
}

/// PseudoTerminalRequest holds the fields of a "pty-req" request (RFC 4254 §6.2).
@_spi(Internals) public struct PseudoTerminalRequest: Sendable, Equatable {
    /// TERM environment variable value, e.g. "xterm-256color".
    public var terminalType: String
    /// Width in characters.
    public var columns: UInt32
    /// Height in rows.
    public var rows: UInt32
    /// Width in pixels (0 when unknown).
    public var pixelWidth: UInt32
    /// Height in pixels (0 when unknown).
    public var pixelHeight: UInt32
    /// Encoded terminal modes (RFC 4254 §8): opcode/uint32 pairs ending with TTY_OP_END (0).
    public var encodedModes: [UInt8]

    public init(terminalType: String, columns: UInt32, rows: UInt32, pixelWidth: UInt32 = 0, pixelHeight: UInt32 = 0, encodedModes: [UInt8] = [0]) {
        self.terminalType = terminalType
        self.columns = columns
        self.rows = rows
        self.pixelWidth = pixelWidth
        self.pixelHeight = pixelHeight
        self.encodedModes = encodedModes
    }
}

/// ExitSignal holds the fields of an "exit-signal" request: the remote
/// command died of a signal (RFC 4254 §6.10).
@_spi(Internals) public struct ExitSignal: Sendable, Equatable {
    /// Signal name without the "SIG" prefix, e.g. "TERM", "KILL", "SEGV".
    public var signalName: String
    /// Whether the process dumped core.
    public var coreDumped: Bool
    /// Text from the server, possibly empty. Peer-supplied: sanitize before printing to a terminal.
    public var errorMessage: String
    /// RFC 3066 language tag of `errorMessage`, usually empty.
    public var languageTag: String

    public init(signalName: String, coreDumped: Bool, errorMessage: String = "", languageTag: String = "") {
        self.signalName = signalName
        self.coreDumped = coreDumped
        self.errorMessage = errorMessage
        self.languageTag = languageTag
    }
}
