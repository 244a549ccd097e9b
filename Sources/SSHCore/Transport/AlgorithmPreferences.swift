import SSHCrypto

/// AlgorithmPreferences holds the ordered algorithm lists ferry offers in
/// KEXINIT, and the defaults: OpenSSH's client defaults, except that
/// AES-GCM comes before chacha20-poly1305 because it is faster wherever AES
/// has hardware support (nearly every x86-64 and ARMv8 machine).
public struct AlgorithmPreferences: Sendable, Equatable {
    public var keyExchange: [String]
    public var hostKey: [String]
    public var ciphers: [String]
    public var macs: [String]
    public var compression: [String]

    public static let defaultKeyExchange: [String] = [
        KeyExchangeAlgorithm.curve25519SHA256, .curve25519SHA256LibSSH, .ecdhP256, .ecdhP384, .ecdhP521,
        .dhGroupExchangeSHA256, .dhGroup16SHA512, .dhGroup18SHA512, .dhGroup14SHA256,
    ].map(\.rawValue)

    public static let defaultHostKey: [String] = [
        SignatureAlgorithm.ed25519, .ecdsaP256, .ecdsaP384, .ecdsaP521, .rsaSHA512, .rsaSHA256,
    ].map(\.rawValue)

    public static let defaultCiphers: [String] = [
        CipherAlgorithm.aes128GCM, .chacha20Poly1305, .aes256GCM, .aes128CTR, .aes192CTR, .aes256CTR,
    ].map(\.rawValue)

    public static let defaultMACs: [String] = [
        MACAlgorithm.hmacSHA256ETM, .hmacSHA512ETM, .hmacSHA1ETM, .hmacSHA256, .hmacSHA512, .hmacSHA1,
    ].map(\.rawValue)

    public init(
        keyExchange: [String] = AlgorithmPreferences.defaultKeyExchange,
        hostKey: [String] = AlgorithmPreferences.defaultHostKey,
        ciphers: [String] = AlgorithmPreferences.defaultCiphers,
        macs: [String] = AlgorithmPreferences.defaultMACs,
        compression: [String] = ["none"]
    ) {
        self.keyExchange = keyExchange
        self.hostKey = hostKey
        self.ciphers = ciphers
        self.macs = macs
        self.compression = compression
    }

    /// Compression offer for `-C` / `Compression yes`, as OpenSSH orders it.
    public static let compressionOn = ["zlib@openssh.com", "zlib", "none"]

    /// Applies an OpenSSH-style spec (`+x`, `-x`, `^x`, or a list) to one category.
    public mutating func apply(ciphers spec: String) throws {
        ciphers = try AlgorithmList.resolve(spec, defaults: ciphers, supported: CipherAlgorithm.allCases.map(\.rawValue), what: "cipher")
    }

    public mutating func apply(macs spec: String) throws {
        macs = try AlgorithmList.resolve(spec, defaults: macs, supported: MACAlgorithm.allCases.map(\.rawValue), what: "MAC")
    }

    public mutating func apply(keyExchange spec: String) throws {
        keyExchange = try AlgorithmList.resolve(spec, defaults: keyExchange, supported: KeyExchangeAlgorithm.allCases.map(\.rawValue), what: "key exchange algorithm")
    }

    public mutating func apply(hostKey spec: String) throws {
        hostKey = try AlgorithmList.resolve(spec, defaults: hostKey, supported: SignatureAlgorithm.allCases.map(\.rawValue), what: "host key algorithm")
    }
}
