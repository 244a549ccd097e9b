/// Builds the packet protection for one direction from negotiated algorithm
/// names and derived keys (RFC 4253 §7.2), so the transport never names a
/// concrete cipher type.
public enum PacketProtectionFactory {
    public static func make(
        cipher: CipherAlgorithm, mac: MACAlgorithm?,
        key: SecureBytes, iv: SecureBytes, macKey: SecureBytes?
    ) throws -> any PacketProtection {
        switch cipher {
        case .chacha20Poly1305:
            return try ChaCha20Poly1305Protection(key: key)
        case .aes128GCM, .aes256GCM:
            return try AESGCMProtection(cipher: cipher, key: key, iv: iv)
        case .aes128CTR, .aes192CTR, .aes256CTR:
            guard let mac, let macKey else {
                throw CryptoError(.unsupportedAlgorithm, "\(cipher.rawValue) needs a MAC")
            }
            return try AESCTRProtection(cipher: cipher, key: key, iv: iv, mac: mac, macKey: macKey)
        }
    }
}
