import SSHWire
import Testing
@testable import SSHCrypto

/// Public key blobs and OpenSSH lines: exact round trips, the ssh-keygen
/// fingerprint format, and refusal of every malformed or unacceptable key.
@Suite struct PublicKeyBlobTests {
    /// Made by `ssh-keygen -t ed25519 -C me@host`; `ssh-keygen -l` printed
    /// "256 SHA256:B8S4Yq/4UKg5D4K45hGkh6xdyGKkuF564+haJyjgnxo me@host (ED25519)".
    static let ed25519Line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhCzuqHj5/pjlw5mZRLZSyPEELhUQkeSR2EbFAwHOZ0 me@host"

    static func blob(_ build: (inout WireWriter) -> Void) -> [UInt8] {
        var writer = WireWriter()
        build(&writer)
        return writer.bytes
    }

    static func rsaBlob(e: [UInt8], n: [UInt8]) -> [UInt8] {
        blob {
            $0.writeString("ssh-rsa")
            $0.writeMPInt(e)
            $0.writeMPInt(n)
        }
    }

    static func ecdsaBlob(type: String, curve: String, point: [UInt8]) -> [UInt8] {
        blob {
            $0.writeString(type)
            $0.writeString(curve)
            $0.writeString(point)
        }
    }

    /// Keys of every type, made once for the suite.
    static let keys: [SSHPrivateKey] = {
        var keys: [SSHPrivateKey] = []
        for type in SSHKeyType.allCases where type != .rsa {
            if let key = try? SSHPrivateKey.generate(type) { keys.append(key) }
        }
        if let rsa = try? SignatureKnownAnswerTests.rsaKey() { keys.append(rsa) }
        return keys
    }()

    @Test func fixedLineParsesWithFingerprintAndComment() throws {
        let key = try SSHPublicKey(openSSHLine: Self.ed25519Line)
        #expect(key.type == .ed25519)
        #expect(key.keyType == "ssh-ed25519")
        #expect(key.bits == 256)
        #expect(key.comment == "me@host")
        #expect(key.fingerprintSHA256 == "SHA256:B8S4Yq/4UKg5D4K45hGkh6xdyGKkuF564+haJyjgnxo")
        #expect(key.openSSHLine == Self.ed25519Line)
        #expect(try SSHPublicKey(blob: key.blob).blob == key.blob)
    }

    @Test func lineWhitespaceAndCommentForms() throws {
        let parts = Self.ed25519Line.split(separator: " ")
        let bare = try SSHPublicKey(openSSHLine: "\(parts[0]) \(parts[1])")
        #expect(bare.comment == "")
        #expect(bare.openSSHLine == "\(parts[0]) \(parts[1])")
        let spaced = try SSHPublicKey(openSSHLine: "  \(parts[0])\t \(parts[1])   my key  with spaces \r\n")
        #expect(spaced.comment == "my key  with spaces")
        #expect(spaced == bare)
        #expect(Set([spaced, bare]).count == 1)
    }

    @Test func lineErrors() {
        let parts = Self.ed25519Line.split(separator: " ")
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(openSSHLine: "") }
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(openSSHLine: "ssh-ed25519") }
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(openSSHLine: "ssh-ed25519 AAAA!AAA") }
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(openSSHLine: "ssh-ed25519 \(parts[1].dropLast())") }
        // The type word must match the blob.
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(openSSHLine: "ssh-rsa \(parts[1])") }
        expectCryptoError(.unsupportedAlgorithm) { _ = try SSHPublicKey(openSSHLine: "ssh-dss \(parts[1])") }
        expectCryptoError(.invalidKey) {
            _ = try SSHPublicKey(openSSHLine: "ssh-ed25519 " + String(repeating: "A", count: 20_000))
        }
    }

    @Test func everyTypeRoundTripsExactly() throws {
        #expect(Self.keys.count == SSHKeyType.allCases.count)
        for key in Self.keys {
            let parsed = try SSHPublicKey(blob: key.publicKey.blob)
            #expect(parsed.blob == key.publicKey.blob)
            #expect(parsed == key.publicKey)
            #expect(parsed.type == key.type)
            var line = parsed
            line.comment = "round trip"
            let again = try SSHPublicKey(openSSHLine: line.openSSHLine)
            #expect(again.blob == parsed.blob)
            #expect(again.comment == "round trip")
            #expect(again.fingerprintSHA256.hasPrefix("SHA256:"))
            #expect(!again.fingerprintSHA256.hasSuffix("="))
            #expect(again.fingerprintSHA256.count == 7 + 43)
        }
    }

    @Test func bitsPerType() throws {
        let expected: [SSHKeyType: Int] = [.ed25519: 256, .ecdsaP256: 256, .ecdsaP384: 384, .ecdsaP521: 521, .rsa: 2048]
        for key in Self.keys { #expect(key.publicKey.bits == expected[key.type]) }
    }

    @Test func everyTruncationThrows() {
        for key in Self.keys {
            let blob = key.publicKey.blob
            for length in 0..<blob.count {
                expectCryptoError(.invalidKey, context: "\(key.type.rawValue) truncated to \(length)") {
                    _ = try SSHPublicKey(blob: Array(blob.prefix(length)))
                }
            }
            expectCryptoError(.invalidKey, context: "\(key.type.rawValue) with a trailing byte") {
                _ = try SSHPublicKey(blob: blob + [0])
            }
        }
    }

    @Test func unknownTypeIsUnsupported() {
        expectCryptoError(.unsupportedAlgorithm) {
            _ = try SSHPublicKey(blob: Self.blob { $0.writeString("ssh-dss"); $0.writeMPInt([5]) })
        }
        expectCryptoError(.unsupportedAlgorithm) {
            _ = try SSHPublicKey(blob: Self.blob { $0.writeString("sk-ssh-ed25519@openssh.com") })
        }
    }

    @Test func ed25519KeyMustBe32Bytes() {
        for size in [0, 31, 33] {
            expectCryptoError(.invalidKey) {
                _ = try SSHPublicKey(blob: Self.blob {
                    $0.writeString("ssh-ed25519")
                    $0.writeString([UInt8](repeating: 9, count: size))
                })
            }
        }
    }

    @Test func ecdsaCurveMustMatchType() throws {
        let p256 = try SSHPrivateKey.generate(.ecdsaP256).publicKey
        guard case .ecdsa(_, let point) = p256.components else { return }
        expectCryptoError(.invalidKey) {
            _ = try SSHPublicKey(blob: Self.ecdsaBlob(type: "ecdsa-sha2-nistp256", curve: "nistp384", point: point))
        }
        expectCryptoError(.invalidKey) {
            _ = try SSHPublicKey(blob: Self.ecdsaBlob(type: "ecdsa-sha2-nistp384", curve: "nistp256", point: point))
        }
        expectCryptoError(.invalidKey) {
            _ = try SSHPublicKey(blob: Self.ecdsaBlob(type: "ecdsa-sha2-nistp256", curve: "nistp256\0", point: point))
        }
        #expect(try SSHPublicKey(blob: Self.ecdsaBlob(type: "ecdsa-sha2-nistp256", curve: "nistp256", point: point)) == p256)
    }

    @Test(arguments: ECCurve.allCases)
    func ecdsaPointMustBeOnTheCurve(_ curve: ECCurve) throws {
        let key = try SSHPrivateKey.generate(curve.keyType).publicKey
        guard case .ecdsa(_, let point) = key.components else { return }
        let type = curve.keyType.rawValue
        // Flip the lowest bit of Y: (X, Y^1) is not on the curve.
        var offCurve = point
        offCurve[offCurve.count - 1] ^= 1
        expectCryptoError(.invalidKey) {
            _ = try SSHPublicKey(blob: Self.ecdsaBlob(type: type, curve: curve.rawValue, point: offCurve))
        }
        // Compressed form, the point at infinity, and a wrong length are refused.
        var compressed = [0x02 | (point[point.count - 1] & 1)] + point[1...curve.fieldSize]
        expectCryptoError(.invalidKey) {
            _ = try SSHPublicKey(blob: Self.ecdsaBlob(type: type, curve: curve.rawValue, point: compressed))
        }
        compressed = [0x00]
        expectCryptoError(.invalidKey) {
            _ = try SSHPublicKey(blob: Self.ecdsaBlob(type: type, curve: curve.rawValue, point: compressed))
        }
        expectCryptoError(.invalidKey) {
            _ = try SSHPublicKey(blob: Self.ecdsaBlob(type: type, curve: curve.rawValue, point: point + [0]))
        }
        // A coordinate ≥ p (all ones) is refused even with a matching length.
        let outOfRange = [0x04] + [UInt8](repeating: 0xff, count: 2 * curve.fieldSize)
        expectCryptoError(.invalidKey) {
            _ = try SSHPublicKey(blob: Self.ecdsaBlob(type: type, curve: curve.rawValue, point: outOfRange))
        }
    }

    @Test func rsaLimits() throws {
        let n = RSATestVector.n
        #expect(try SSHPublicKey(blob: Self.rsaBlob(e: [1, 0, 1], n: n)).bits == 2048)
        // 1016-bit and 1023-bit moduli are too small.
        var small = Array(n.prefix(127))
        small[small.count - 1] |= 1
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(blob: Self.rsaBlob(e: [1, 0, 1], n: small)) }
        var almost = Array(n.prefix(128))
        almost[0] = 0x7f
        almost[almost.count - 1] |= 1
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(blob: Self.rsaBlob(e: [1, 0, 1], n: almost)) }
        almost[0] = 0x80
        #expect(try SSHPublicKey(blob: Self.rsaBlob(e: [1, 0, 1], n: almost)).bits == 1024)
        // Over 16384 bits.
        let huge = [UInt8](repeating: 0xff, count: 2049)
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(blob: Self.rsaBlob(e: [1, 0, 1], n: huge)) }
        // Even or trivial exponents, even modulus.
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(blob: Self.rsaBlob(e: [1, 0, 0], n: n)) }
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(blob: Self.rsaBlob(e: [1], n: n)) }
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(blob: Self.rsaBlob(e: [], n: n)) }
        var even = n
        even[even.count - 1] &= 0xfe
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(blob: Self.rsaBlob(e: [1, 0, 1], n: even)) }
        // Negative and non-canonical mpints.
        let negative = Self.blob {
            $0.writeString("ssh-rsa")
            $0.writeMPInt([1, 0, 1])
            $0.writeString(n)   // top bit set, no 0x00 prefix: negative
        }
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(blob: negative) }
        let padded = Self.blob {
            $0.writeString("ssh-rsa")
            $0.writeString([0, 1, 0, 1])
            $0.writeMPInt(n)
        }
        expectCryptoError(.invalidKey) { _ = try SSHPublicKey(blob: padded) }
    }
}
