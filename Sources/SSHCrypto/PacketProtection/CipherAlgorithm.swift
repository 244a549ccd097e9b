import CLibcrypto

/// CipherAlgorithm lists the SSH encryption algorithms ferry implements, by
/// their wire names, with the key and IV sizes key derivation must produce.
public enum CipherAlgorithm: String, Sendable, CaseIterable {
    /// chacha20-poly1305@openssh.com: OpenSSH's AEAD (PROTOCOL.chacha20poly1305).
    case chacha20Poly1305 = "chacha20-poly1305@openssh.com"
    /// AES-128 in counter mode (RFC 4344), with a separate MAC.
    case aes128CTR = "aes128-ctr"
    /// AES-192 in counter mode (RFC 4344), with a separate MAC.
    case aes192CTR = "aes192-ctr"
    /// AES-256 in counter mode (RFC 4344), with a separate MAC.
    case aes256CTR = "aes256-ctr"
    /// AES-128-GCM as OpenSSH names it (RFC 5647 semantics).
    case aes128GCM = "aes128-gcm@openssh.com"
    /// AES-256-GCM as OpenSSH names it (RFC 5647 semantics).
    case aes256GCM = "aes256-gcm@openssh.com"

    /// Bytes of encryption key derived for this cipher.
    public var keyLength: Int {
        switch self {
        case .chacha20Poly1305: 64
        case .aes128CTR, .aes128GCM: 16
        case .aes192CTR: 24
        case .aes256CTR, .aes256GCM: 32
        }
    }

    /// Bytes of IV derived for this cipher.
    public var ivLength: Int {
        switch self {
        case .chacha20Poly1305: 0
        case .aes128CTR, .aes192CTR, .aes256CTR: 16
        case .aes128GCM, .aes256GCM: 12
        }
    }

    /// True when the cipher authenticates by itself and no MAC is negotiated.
    public var isAEAD: Bool {
        switch self {
        case .chacha20Poly1305, .aes128GCM, .aes256GCM: true
        case .aes128CTR, .aes192CTR, .aes256CTR: false
        }
    }

    var evpCipher: OpaquePointer? {
        switch self {
        case .chacha20Poly1305: EVP_chacha20()
        case .aes128CTR: EVP_aes_128_ctr()
        case .aes192CTR: EVP_aes_192_ctr()
        case .aes256CTR: EVP_aes_256_ctr()
        case .aes128GCM: EVP_aes_128_gcm()
        case .aes256GCM: EVP_aes_256_gcm()
        }
    }
}

/// MACAlgorithm lists the SSH MACs ferry implements, by their wire names.
public enum MACAlgorithm: String, Sendable, CaseIterable {
    /// hmac-sha2-256-etm@openssh.com: MAC over the ciphertext (encrypt-then-MAC).
    case hmacSHA256ETM = "hmac-sha2-256-etm@openssh.com"
    /// hmac-sha2-512-etm@openssh.com: MAC over the ciphertext (encrypt-then-MAC).
    case hmacSHA512ETM = "hmac-sha2-512-etm@openssh.com"
    /// hmac-sha1-etm@openssh.com: MAC over the ciphertext (encrypt-then-MAC).
    case hmacSHA1ETM = "hmac-sha1-etm@openssh.com"
    /// hmac-sha2-256 (RFC 6668): MAC over the plaintext (encrypt-and-MAC).
    case hmacSHA256 = "hmac-sha2-256"
    /// hmac-sha2-512 (RFC 6668): MAC over the plaintext (encrypt-and-MAC).
    case hmacSHA512 = "hmac-sha2-512"
    /// hmac-sha1 (RFC 4253): MAC over the plaintext (encrypt-and-MAC).
    case hmacSHA1 = "hmac-sha1"

    /// The hash under the HMAC.
    public var hash: HashAlgorithm {
        switch self {
        case .hmacSHA1, .hmacSHA1ETM: .sha1
        case .hmacSHA256, .hmacSHA256ETM: .sha256
        case .hmacSHA512, .hmacSHA512ETM: .sha512
        }
    }

    /// Bytes of MAC key derived (RFC 4253 §7.2: the hash's output size).
    public var keyLength: Int { hash.digestSize }

    /// Bytes of MAC appended to each packet.
    public var tagLength: Int { hash.digestSize }

    /// True for the `-etm@openssh.com` variants.
    public var isEncryptThenMAC: Bool {
        switch self {
        case .hmacSHA1ETM, .hmacSHA256ETM, .hmacSHA512ETM: true
        case .hmacSHA1, .hmacSHA256, .hmacSHA512: false
        }
    }
}
