/// AlgorithmOffer is what one side listed in its KEXINIT (RFC 4253 §7.1),
/// read-only: every name as sent, including names ferry does not implement
/// and markers such as `kex-strict-s-v00@openssh.com`. It tells a caller
/// what else the peer would have accepted (`ferry bench` measures each
/// cipher both sides offer).
public struct AlgorithmOffer: Sendable, Equatable {
    public let keyExchange: [String]
    public let hostKey: [String]
    public let ciphersClientToServer: [String]
    public let ciphersServerToClient: [String]
    public let macsClientToServer: [String]
    public let macsServerToClient: [String]
    public let compressionClientToServer: [String]
    public let compressionServerToClient: [String]

    init(_ message: KexInitMessage) {
        keyExchange = message.keyExchange
        hostKey = message.hostKey
        ciphersClientToServer = message.ciphersClientToServer
        ciphersServerToClient = message.ciphersServerToClient
        macsClientToServer = message.macsClientToServer
        macsServerToClient = message.macsServerToClient
        compressionClientToServer = message.compressionClientToServer
        compressionServerToClient = message.compressionServerToClient
    }
}
