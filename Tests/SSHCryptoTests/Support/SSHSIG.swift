import SSHWire
@testable import SSHCrypto

/// SSHSIG is the OpenSSH signature file format (PROTOCOL.sshsig) that
/// `ssh-keygen -Y sign/verify` uses. It lets the interop tests exchange
/// signatures with the reference implementation over any message; ferry's
/// sources do not need it yet.
///
///     byte[6] "SSHSIG", uint32 version (1), string publickey,
///     string namespace, string reserved, string hash_algorithm,
///     string signature
///
/// The signature covers "SSHSIG" ‖ string(namespace) ‖ string(reserved)
/// ‖ string(hash_algorithm) ‖ string(H(message)).
struct SSHSIG {
    static let magic = Array("SSHSIG".utf8)
    static let label = "SSH SIGNATURE"

    var publicKey: [UInt8]
    var namespace: String
    var reserved: [UInt8] = []
    var hashAlgorithm: String
    var signature: [UInt8]

    /// What the signature covers.
    static func signedData(namespace: String, reserved: [UInt8] = [], hashAlgorithm: String, message: [UInt8]) throws -> [UInt8] {
        let digest: [UInt8]
        switch hashAlgorithm {
        case "sha512": digest = HashAlgorithm.sha512.hash(message)
        case "sha256": digest = HashAlgorithm.sha256.hash(message)
        default: throw CryptoError(.unsupportedAlgorithm, "SSHSIG hash \(hashAlgorithm)")
        }
        var writer = WireWriter()
        writer.writeRaw(magic)
        writer.writeString(namespace)
        writer.writeString(reserved)
        writer.writeString(hashAlgorithm)
        writer.writeString(digest)
        return writer.bytes
    }

    /// Signs `message` as `ssh-keygen -Y sign -n namespace` would
    /// (SHA-512; RSA keys sign with rsa-sha2-512).
    static func sign(_ message: [UInt8], with key: SSHPrivateKey, namespace: String) throws -> SSHSIG {
        let data = try signedData(namespace: namespace, hashAlgorithm: "sha512", message: message)
        let algorithm: SignatureAlgorithm? = key.type == .rsa ? .rsaSHA512 : nil
        return SSHSIG(publicKey: key.publicKey.blob, namespace: namespace, hashAlgorithm: "sha512",
                      signature: try key.sign(data, algorithm: algorithm))
    }

    /// Checks the signature over `message` with the key embedded in it.
    func verify(_ message: [UInt8], namespace expected: String) throws -> SSHPublicKey {
        guard namespace == expected else {
            throw CryptoError(.invalidSignature, "SSHSIG namespace \(namespace), expected \(expected)")
        }
        let key = try SSHPublicKey(blob: publicKey)
        let data = try Self.signedData(namespace: namespace, reserved: reserved, hashAlgorithm: hashAlgorithm, message: message)
        // As in OpenSSH: RSA SSHSIGs must use SHA-2.
        let allowed: Set<SignatureAlgorithm>? = key.type == .rsa ? [.rsaSHA512, .rsaSHA256] : nil
        try key.verify(signature: signature, for: data, allowed: allowed)
        return key
    }

    var binary: [UInt8] {
        var writer = WireWriter()
        writer.writeRaw(Self.magic)
        writer.writeUInt32(1)
        writer.writeString(publicKey)
        writer.writeString(namespace)
        writer.writeString(reserved)
        writer.writeString(hashAlgorithm)
        writer.writeString(signature)
        return writer.bytes
    }

    var armored: String { PEMArmor.encode(binary, label: Self.label) }

    init(publicKey: [UInt8], namespace: String, reserved: [UInt8] = [], hashAlgorithm: String, signature: [UInt8]) {
        self.publicKey = publicKey
        self.namespace = namespace
        self.reserved = reserved
        self.hashAlgorithm = hashAlgorithm
        self.signature = signature
    }

    init(armored text: String) throws {
        let binary = try PEMArmor.decode(text, label: Self.label)
        var reader = WireReader(binary)
        guard try reader.readBytes(6).elementsEqual(Self.magic) else {
            throw CryptoError(.invalidSignature, "not an SSHSIG")
        }
        guard try reader.readUInt32() == 1 else { throw CryptoError(.invalidSignature, "SSHSIG version") }
        publicKey = Array(try reader.readString())
        namespace = try reader.readUTF8()
        reserved = Array(try reader.readString())
        hashAlgorithm = try reader.readUTF8()
        signature = Array(try reader.readString())
        try reader.expectEnd("SSHSIG")
    }
}
