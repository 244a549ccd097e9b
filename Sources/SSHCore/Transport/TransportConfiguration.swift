import NIOCore
import SSHCrypto

/// TransportConfiguration is what the transport needs to know before the
/// first byte: algorithm preferences, limits, and (for a client) how to decide
/// whether a server's host key is acceptable.
public struct TransportConfiguration: Sendable {
    /// Which side of the connection this transport is, with that side's needs.
    public enum Role: Sendable {
        /// A client. During the first key exchange the transport stops after
        /// the server's signature verified and reports
        /// `.hostKeyNeedsVerification`; the owner checks known_hosts (which may
        /// ask the user) and calls `hostKeyAccepted`.
        case client
        /// A server with its host keys.
        case server(hostKeys: [SSHPrivateKey])
    }

    public var role: Role
    public var algorithms: AlgorithmPreferences
    public var softwareVersion: String
    /// Largest `packet_length` accepted from the peer. OpenSSH sends at most
    /// 256 KiB; ferry advertises channel packets of up to 256 KiB of data, so
    /// it accepts that plus headers.
    public var maximumPacketLength: Int
    /// Rekey after this many bytes in either direction; nil for the default
    /// OpenSSH uses for the cipher (2^32 blocks for 16-byte blocks, 1 GiB otherwise).
    public var rekeyLimitBytes: UInt64?
    /// Rekey after this much time; nil for never.
    public var rekeyInterval: Duration?
    /// Offer OpenSSH strict KEX (PROTOCOL §1.9, the Terrapin fix).
    public var strictKeyExchange: Bool

    public init(
        role: Role,
        algorithms: AlgorithmPreferences = AlgorithmPreferences(),
        softwareVersion: String = SSHCoreInfo.softwareVersion,
        maximumPacketLength: Int = 256 * 1024 + 4096,
        rekeyLimitBytes: UInt64? = nil,
        rekeyInterval: Duration? = nil,
        strictKeyExchange: Bool = true
    ) {
        self.role = role
        self.algorithms = algorithms
        self.softwareVersion = softwareVersion
        self.maximumPacketLength = maximumPacketLength
        self.rekeyLimitBytes = rekeyLimitBytes
        self.rekeyInterval = rekeyInterval
        self.strictKeyExchange = strictKeyExchange
    }

    var isClient: Bool {
        if case .client = role { return true }
        return false
    }
}

/// What the transport reports to the layers above it.
@_spi(Internals) public enum TransportEvent {
    /// The server proved it holds this host key; nothing proceeds until the
    /// owner calls `hostKeyAccepted` (or drops the connection).
    case hostKeyNeedsVerification(SSHPublicKey)
    /// A key exchange finished and its keys are in force in both directions.
    case keyExchangeCompleted(NegotiatedAlgorithms, initial: Bool)
    /// A message for the layers above (service, authentication, connection: numbers 5, 6 and 50+).
    case payload(ByteBuffer)
    /// The server's RFC 8308 extensions (name → value), e.g. server-sig-algs.
    case extensionInfo([String: [UInt8]])
    /// SSH_MSG_DEBUG from the peer.
    case debug(message: String, alwaysDisplay: Bool)
}
