import CLibcrypto
import SSHWire

/// SSHPublicKey is a validated SSH public key: a host key, a user key, or the
/// public half of an `SSHPrivateKey`.
///
/// It is built from the wire blob (RFC 4253 §6.6) and keeps that blob
/// byte-for-byte, so `blob` re-serializes exactly what was parsed. Parsing
/// checks everything a verifier relies on (lengths, curve name, point on the
/// curve, RSA size and exponent), so a key that exists can be used.
///
/// Two keys are equal when their blobs are: the `comment` (from an
/// authorized_keys or .pub line) is a label, not part of the key.
public struct SSHPublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The key's type.
    public let type: SSHKeyType
    /// The wire encoding: string type, then the per-type fields.
    public let blob: [UInt8]
    /// Size in bits: 256 for Ed25519, the curve size for ECDSA, the modulus
    /// length for RSA — what `ssh-keygen -l` prints.
    public let bits: Int
    /// The comment of the OpenSSH line or key file it came from ("" if none).
    public var comment: String

    /// The fields inside the blob, kept for the private-key file writer.
    let components: Components
    /// The same key in libcrypto form, built once at parse time.
    let evpKey: EVPKey

    enum Components: Sendable {
        /// The 32-byte Ed25519 point.
        case ed25519(publicKey: [UInt8])
        /// The curve and uncompressed point Q.
        case ecdsa(curve: ECCurve, point: [UInt8])
        /// Exponent and modulus magnitudes.
        case rsa(e: [UInt8], n: [UInt8])
    }

    /// RSA moduli outside this range are refused (OpenSSH's limits).
    public static let rsaModulusBits: ClosedRange<Int> = 1024...16384

    /// The key type name on the wire, e.g. "ssh-rsa".
    public var keyType: String { type.rawValue }

    public var description: String { "\(keyType) \(fingerprintSHA256)" }

    /// Parses and validates a public key blob.
    ///
    /// Throws `.unsupportedAlgorithm` for a key type ferry does not know and
    /// `.invalidKey` for a malformed or unacceptable key.
    public init(blob: [UInt8]) throws {
        var reader = WireReader(blob)
        let type = try Self.readKeyType(&reader)
        let components: Components
        do {
            switch type {
            case .ed25519:
                let key = try reader.readString(maxLength: 32)
                guard key.count == 32 else {
                    throw CryptoError(.invalidKey, "ssh-ed25519 public key is \(key.count) bytes, expected 32")
                }
                components = .ed25519(publicKey: Array(key))
            case .ecdsaP256, .ecdsaP384, .ecdsaP521:
                guard let curve = type.curve else { throw CryptoError(.invalidKey, "\(type.rawValue) has no curve") }
                let curveName = try reader.readString(maxLength: 64)
                guard curveName.elementsEqual(curve.rawValue.utf8) else {
                    throw CryptoError(.invalidKey, "\(type.rawValue) key names curve \"\(Self.printable(curveName))\", expected \(curve.rawValue)")
                }
                let point = try reader.readString(maxLength: 256)
                guard point.count == curve.uncompressedPointSize, point.first == 0x04 else {
                    throw CryptoError(.invalidKey, "\(type.rawValue) public point is not an uncompressed \(curve.rawValue) point")
                }
                components = .ecdsa(curve: curve, point: Array(point))
            case .rsa:
                let e = try reader.readMPInt()
                let n = try reader.readMPInt()
                components = .rsa(e: e, n: n)
            }
            try reader.expectEnd("\(type.rawValue) public key blob")
        } catch let error as WireError {
            throw CryptoError(.invalidKey, "malformed \(type.rawValue) public key: \(error.message)")
        }
        try self.init(type: type, blob: blob, components: components)
    }

    /// Builds a key from its fields (used by private keys), via the blob so
    /// the same validation applies.
    init(components: Components, comment: String = "") throws {
        var writer = WireWriter()
        switch components {
        case .ed25519(let key):
            writer.writeString(SSHKeyType.ed25519.rawValue)
            writer.writeString(key)
        case .ecdsa(let curve, let point):
            writer.writeString(curve.keyType.rawValue)
            writer.writeString(curve.rawValue)
            writer.writeString(point)
        case .rsa(let e, let n):
            writer.writeString(SSHKeyType.rsa.rawValue)
            writer.writeMPInt(e)
            writer.writeMPInt(n)
        }
        try self.init(blob: writer.bytes)
        self.comment = comment
    }

    private init(type: SSHKeyType, blob: [UInt8], components: Components) throws {
        self.type = type
        self.blob = blob
        self.components = components
        self.comment = ""
        switch components {
        case .ed25519(let key):
            bits = 256
            evpKey = try EVPKey.ed25519(publicKey: key)
        case .ecdsa(let curve, let point):
            bits = curve.bits
            evpKey = try Self.ecdsaKey(curve: curve, point: point)
        case .rsa(let e, let n):
            bits = Self.bitLength(n)
            guard Self.rsaModulusBits.contains(bits) else {
                throw CryptoError(.invalidKey, "RSA modulus of \(bits) bits is outside the accepted \(Self.rsaModulusBits.lowerBound)…\(Self.rsaModulusBits.upperBound)")
            }
            guard let low = n.last, low & 1 == 1 else {
                throw CryptoError(.invalidKey, "RSA modulus is even")
            }
            guard let eLow = e.last, eLow & 1 == 1, e.count > 1 || eLow > 1 else {
                throw CryptoError(.invalidKey, "RSA public exponent must be odd and greater than 1")
            }
            guard e.count <= n.count else {
                throw CryptoError(.invalidKey, "RSA public exponent is larger than the modulus")
            }
            let parameters = try OSSLParameters()
            try parameters.add("n", integer: n, secret: false)
            try parameters.add("e", integer: e, secret: false)
            do {
                evpKey = try EVPKey.fromParameters(.rsa, .publicKey, parameters)
            } catch {
                throw CryptoError(.invalidKey, "libcrypto refused the RSA public key: \(error)")
            }
        }
    }

    private static func ecdsaKey(curve: ECCurve, point: [UInt8]) throws -> EVPKey {
        let parameters = try OSSLParameters()
        try parameters.add("group", utf8: curve.groupName)
        try parameters.add("pub", octets: point)
        let key: EVPKey
        do {
            key = try EVPKey.fromParameters(.ec, .publicKey, parameters)
        } catch {
            throw CryptoError(.invalidKey, "\(curve.keyType.rawValue) public point is not on the curve")
        }
        guard key.checkPublic() else {
            throw CryptoError(.invalidKey, "\(curve.keyType.rawValue) public point is not a valid point of \(curve.rawValue)")
        }
        return key
    }

    /// Reads the leading key type name of a blob.
    static func readKeyType(_ reader: inout WireReader) throws -> SSHKeyType {
        let name: ArraySlice<UInt8>
        do {
            name = try reader.readString(maxLength: 256)
        } catch let error as WireError {
            throw CryptoError(.invalidKey, "malformed public key blob: \(error.message)")
        }
        guard let type = SSHKeyType(rawValue: String(decoding: name, as: UTF8.self)) else {
            throw CryptoError(.unsupportedAlgorithm, "unsupported public key type \"\(printable(name))\"")
        }
        return type
    }

    /// Number of significant bits in a big-endian magnitude.
    static func bitLength(_ magnitude: [UInt8]) -> Int {
        guard let first = magnitude.firstIndex(where: { $0 != 0 }) else { return 0 }
        let top = magnitude[first]
        return (magnitude.count - first - 1) * 8 + (8 - top.leadingZeroBitCount)
    }

    /// Text from peer bytes made safe to put in an error message.
    static func printable(_ bytes: some Collection<UInt8>) -> String {
        let clipped = bytes.prefix(64).map { (0x20..<0x7f).contains($0) ? Character(UnicodeScalar($0)) : "?" }
        return String(clipped) + (bytes.count > 64 ? "…" : "")
    }

    public static func == (a: SSHPublicKey, b: SSHPublicKey) -> Bool { a.blob == b.blob }

    public func hash(into hasher: inout Hasher) { hasher.combine(blob) }
}
