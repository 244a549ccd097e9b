import CLibcrypto

/// CryptoError is the one error type of SSHCrypto: a primitive refused its
/// input, a check failed, or libcrypto reported a failure.
public struct CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable identifiers for the ways a primitive can fail.
    public enum Code: String, Sendable {
        /// A MAC or AEAD tag did not verify: the data was altered or the keys disagree.
        case authenticationFailed
        /// A buffer or length does not fit the primitive (wrong key size, misaligned packet…).
        case invalidLength
        /// Key material is malformed or of the wrong type or size.
        case invalidKey
        /// A peer's key-exchange value is out of range, off the curve, or yields a degenerate secret.
        case invalidPublicValue
        /// A signature is malformed or does not verify.
        case invalidSignature
        /// The algorithm name is not one this build implements.
        case unsupportedAlgorithm
        /// A key file could not be parsed.
        case invalidKeyFile
        /// A key file's passphrase is wrong (its check bytes do not match).
        case wrongPassphrase
        /// Compressed data is corrupt, or inflates past the allowed size.
        case compression
        /// libcrypto reported an unexpected failure.
        case libcrypto
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (a: CryptoError, b: CryptoError) -> Bool { a.code == b.code }

    /// A `.libcrypto` error for a failed call, with OpenSSL's error queue text;
    /// the queue is drained so a later failure does not report stale entries.
    static func openssl(_ function: String) -> CryptoError {
        var details: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if details.count < 4 { details.append(text) }
        }
        let suffix = details.isEmpty ? "" : ": " + details.joined(separator: "; ")
        return CryptoError(.libcrypto, "libcrypto \(function) failed\(suffix)")
    }
}

/// Throws `CryptoError.openssl(function)` unless an OpenSSL call returned 1.
@inline(__always)
func check(_ result: Int32, _ function: @autoclosure () -> String) throws {
    if result != 1 { throw CryptoError.openssl(function()) }
}
