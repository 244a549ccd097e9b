import SSHWire
import Testing
@testable import SSHCrypto

/// Hostile signatures: every truncation, every flipped bit, wrong or
/// disallowed algorithms, and OpenSSH's leniencies (short RSA signatures,
/// padded ECDSA integers) — each accepted or refused with the right code.
@Suite struct SignatureVerificationTests {
    static let message = Array("The quick brown fox jumps over the lazy dog".utf8)

    static func blob(_ name: String, _ body: [UInt8]) -> [UInt8] {
        var writer = WireWriter()
        writer.writeString(name)
        writer.writeString(body)
        return writer.bytes
    }

    static func ecdsaBody(r: [UInt8], s: [UInt8], padR: Int = 0) -> [UInt8] {
        var writer = WireWriter()
        if padR > 0 {
            writer.writeString([UInt8](repeating: 0, count: padR) + r)
        } else {
            writer.writeMPInt(r)
        }
        writer.writeMPInt(s)
        return writer.bytes
    }

    static func ecdsaComponents(_ body: [UInt8]) throws -> ([UInt8], [UInt8]) {
        var reader = WireReader(body)
        return (try reader.readMPInt(), try reader.readMPInt())
    }

    @Test func everyTruncationAndBitFlipIsRefused() throws {
        for key in PublicKeyBlobTests.keys {
            let publicKey = key.publicKey
            for algorithm in key.type.signatureAlgorithms {
                let signature = try key.sign(Self.message, algorithm: algorithm)
                try publicKey.verify(signature: signature, for: Self.message)
                for length in 0..<signature.count {
                    expectCryptoError(.invalidSignature, context: "\(algorithm.rawValue) truncated to \(length)") {
                        try publicKey.verify(signature: Array(signature.prefix(length)), for: Self.message)
                    }
                }
                expectCryptoError(.invalidSignature, context: "\(algorithm.rawValue) with a trailing byte") {
                    try publicKey.verify(signature: signature + [0], for: Self.message)
                }
                let nameEnd = 4 + algorithm.rawValue.utf8.count
                for index in 0..<signature.count {
                    var tampered = signature
                    tampered[index] ^= 1 << UInt8(index % 8)
                    // A flip in the name (or its length) makes an unknown algorithm or a
                    // malformed blob; anywhere else, a bad signature.
                    let codes: [CryptoError.Code] = index < nameEnd ? [.unsupportedAlgorithm, .invalidSignature] : [.invalidSignature]
                    do {
                        try publicKey.verify(signature: tampered, for: Self.message)
                        Issue.record("\(algorithm.rawValue) with byte \(index) flipped verified")
                    } catch let error as CryptoError {
                        #expect(codes.contains(error.code), "\(algorithm.rawValue) byte \(index): \(error)")
                    }
                }
                var message = Self.message
                for bit in [0, 7, message.count * 8 - 1] {
                    message = Self.message
                    message[bit / 8] ^= 1 << UInt8(bit % 8)
                    expectCryptoError(.invalidSignature, context: "\(algorithm.rawValue) message bit \(bit)") {
                        try publicKey.verify(signature: signature, for: message)
                    }
                }
                expectCryptoError(.invalidSignature) { try publicKey.verify(signature: signature, for: Self.message + [0]) }
                expectCryptoError(.invalidSignature) { try publicKey.verify(signature: signature, for: []) }
            }
        }
    }

    @Test(arguments: ECCurve.allCases)
    func ecdsaTamperedRAndS(_ curve: ECCurve) throws {
        let key = try SSHPrivateKey.generate(curve.keyType)
        let signature = try key.sign(Self.message)
        let (_, body) = try SignatureKnownAnswerTests.unwrap(signature)
        let (r, s) = try Self.ecdsaComponents(body)
        let name = curve.keyType.rawValue
        func verify(_ r: [UInt8], _ s: [UInt8], padR: Int = 0) throws {
            try key.publicKey.verify(signature: Self.blob(name, Self.ecdsaBody(r: r, s: s, padR: padR)), for: Self.message)
        }
        try verify(r, s)
        for index in [0, r.count / 2, r.count - 1] {
            var badR = r
            badR[index] ^= 0x10
            expectCryptoError(.invalidSignature, context: "r byte \(index)") { try verify(badR, s) }
            var badS = s
            badS[index % s.count] ^= 0x10
            expectCryptoError(.invalidSignature, context: "s byte \(index)") { try verify(r, badS) }
        }
        // Zero, and values wider than the curve, never verify.
        expectCryptoError(.invalidSignature) { try verify([], s) }
        expectCryptoError(.invalidSignature) { try verify(r, []) }
        expectCryptoError(.invalidSignature) { try verify([1] + r + [UInt8](repeating: 0, count: curve.fieldSize), s) }
        // r and s as in the signature of another message.
        let other = try SignatureKnownAnswerTests.unwrap(try key.sign(Self.message + [1])).1
        let (r2, s2) = try Self.ecdsaComponents(other)
        expectCryptoError(.invalidSignature) { try verify(r2, s) }
        expectCryptoError(.invalidSignature) { try verify(r, s2) }
        // OpenSSH accepts redundant leading zeros in r and s; so do we.
        try verify(r, s, padR: 2)
        // Bytes after s inside the signature are refused.
        expectCryptoError(.invalidSignature) {
            try key.publicKey.verify(signature: Self.blob(name, body + [0]), for: Self.message)
        }
    }

    @Test func algorithmMustMatchTheKeyType() throws {
        let ed25519 = try SSHPrivateKey.generate(.ed25519)
        let p256 = try SSHPrivateKey.generate(.ecdsaP256)
        let rsa = try SignatureKnownAnswerTests.rsaKey()
        let edSignature = try SignatureKnownAnswerTests.unwrap(try ed25519.sign(Self.message)).1
        // The same bytes under another key type's name.
        expectCryptoError(.unsupportedAlgorithm) {
            try ed25519.publicKey.verify(signature: Self.blob("ecdsa-sha2-nistp256", edSignature), for: Self.message)
        }
        expectCryptoError(.unsupportedAlgorithm) {
            try rsa.publicKey.verify(signature: try ed25519.sign(Self.message), for: Self.message)
        }
        expectCryptoError(.unsupportedAlgorithm) {
            try p256.publicKey.verify(signature: try rsa.sign(Self.message), for: Self.message)
        }
        expectCryptoError(.unsupportedAlgorithm) {
            try ed25519.publicKey.verify(signature: Self.blob("ssh-dss", edSignature), for: Self.message)
        }
        // A P-384 signature is not a P-256 one.
        let p384 = try SSHPrivateKey.generate(.ecdsaP384)
        expectCryptoError(.unsupportedAlgorithm) {
            try p256.publicKey.verify(signature: try p384.sign(Self.message), for: Self.message)
        }
        // Signing refuses algorithms of other key types too.
        expectCryptoError(.unsupportedAlgorithm) { _ = try ed25519.sign(Self.message, algorithm: .rsaSHA256) }
        expectCryptoError(.unsupportedAlgorithm) { _ = try rsa.sign(Self.message, algorithm: .ecdsaP256) }
        expectCryptoError(.unsupportedAlgorithm) { _ = try p256.sign(Self.message, algorithm: .ecdsaP384) }
    }

    @Test func allowedSetIsEnforced() throws {
        let rsa = try SignatureKnownAnswerTests.rsaKey()
        let sha512 = try rsa.sign(Self.message, algorithm: .rsaSHA512)
        let sha1 = try rsa.sign(Self.message, algorithm: .rsaSHA1)
        try rsa.publicKey.verify(signature: sha512, for: Self.message, allowed: [.rsaSHA512])
        try rsa.publicKey.verify(signature: sha1, for: Self.message, allowed: nil)
        expectCryptoError(.unsupportedAlgorithm) {
            try rsa.publicKey.verify(signature: sha512, for: Self.message, allowed: [.rsaSHA256])
        }
        expectCryptoError(.unsupportedAlgorithm) {
            try rsa.publicKey.verify(signature: sha1, for: Self.message, allowed: [.rsaSHA512, .rsaSHA256])
        }
        let ed25519 = try SSHPrivateKey.generate(.ed25519)
        expectCryptoError(.unsupportedAlgorithm) {
            try ed25519.publicKey.verify(signature: try ed25519.sign(Self.message), for: Self.message, allowed: [])
        }
    }

    @Test func rsaNameSelectsTheHash() throws {
        let rsa = try SignatureKnownAnswerTests.rsaKey()
        for algorithm in SSHKeyType.rsa.signatureAlgorithms {
            let body = try SignatureKnownAnswerTests.unwrap(try rsa.sign(Self.message, algorithm: algorithm)).1
            for other in SSHKeyType.rsa.signatureAlgorithms where other != algorithm {
                expectCryptoError(.invalidSignature, context: "\(algorithm.rawValue) relabeled \(other.rawValue)") {
                    try rsa.publicKey.verify(signature: Self.blob(other.rawValue, body), for: Self.message)
                }
            }
        }
    }

    @Test func rsaSignatureLengths() throws {
        let rsa = try SignatureKnownAnswerTests.rsaKey()
        let body = try SignatureKnownAnswerTests.unwrap(try rsa.sign(Self.message)).1
        #expect(body.count == 256)
        // Longer than the modulus, even by a leading zero: refused.
        expectCryptoError(.invalidSignature) {
            try rsa.publicKey.verify(signature: Self.blob("rsa-sha2-512", [0] + body), for: Self.message)
        }
        expectCryptoError(.invalidSignature) {
            try rsa.publicKey.verify(signature: Self.blob("rsa-sha2-512", []), for: Self.message)
        }
        // Shorter: left-padded with zeros as OpenSSH does. Find a message
        // whose signature starts with a zero byte (1 in 256).
        let small = try SSHPrivateKey.generate(.rsa, bits: 1024)
        var found = false
        for counter in 0..<20_000 {
            let message = Array("short signature \(counter)".utf8)
            let full = try SignatureKnownAnswerTests.unwrap(try small.sign(message, algorithm: .rsaSHA256)).1
            guard full.first == 0 else { continue }
            let stripped = Array(full.drop(while: { $0 == 0 }))
            try small.publicKey.verify(signature: Self.blob("rsa-sha2-256", stripped), for: message)
            try small.publicKey.verify(signature: Self.blob("rsa-sha2-256", full), for: message)
            found = true
            break
        }
        #expect(found)
    }

    @Test func ed25519SignatureMustBe64Bytes() throws {
        let key = try SSHPrivateKey.generate(.ed25519)
        let body = try SignatureKnownAnswerTests.unwrap(try key.sign(Self.message)).1
        for bad in [Array(body.dropLast()), body + [0], [], [UInt8](repeating: 0, count: 64)] {
            expectCryptoError(.invalidSignature) {
                try key.publicKey.verify(signature: Self.blob("ssh-ed25519", bad), for: Self.message)
            }
        }
    }

    @Test func concurrentSigningWithOneKey() async throws {
        let keys = PublicKeyBlobTests.keys
        try await withThrowingTaskGroup(of: Void.self) { group in
            for key in keys {
                for worker in 0..<4 {
                    group.addTask {
                        for round in 0..<8 {
                            let message = Array("task \(worker) round \(round)".utf8)
                            try key.publicKey.verify(signature: try key.sign(message), for: message)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
