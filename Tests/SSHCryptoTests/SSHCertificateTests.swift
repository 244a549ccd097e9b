import Foundation
import Testing
@testable import SSHCrypto

/// OpenSSH certificates signed by `ssh-keygen -s`: every key type parses,
/// its fields and CA signature check out, and truncated or flipped
/// certificates and public key lines end in CryptoErrors, never traps.
@Suite struct SSHCertificateTests {
    typealias Spec = PrivateKeyFileInteropTests.Spec

    /// Signs `key.pub` with a fresh Ed25519 CA; returns the -cert.pub text.
    static func makeCertificate(_ spec: Spec, in dir: TemporaryDirectory, caArguments: [String] = ["-t", "ed25519"]) throws -> String {
        try SSHKeygen.succeed(["-q"] + caArguments + ["-N", "", "-f", "ca"], in: dir.url)
        try SSHKeygen.succeed(["-q"] + spec.keygenArguments + ["-N", "", "-C", "me@ferry", "-f", "key"], in: dir.url)
        try SSHKeygen.succeed(["-q", "-s", "ca", "-I", "ferry-id", "-n", "ferrytest,other", "-z", "42", "-V", "+1h",
                               "key.pub"], in: dir.url)
        return try dir.read("key-cert.pub")
    }

    @Test(arguments: Spec.allCases) func parsesSSHKeygenCertificates(_ spec: Spec) throws {
        let dir = try TemporaryDirectory()
        let text = try Self.makeCertificate(spec, in: dir, caArguments: spec == .rsa3072 ? ["-t", "rsa"] : ["-t", "ed25519"])
        let certificate = try SSHCertificate(openSSHLine: text)
        let key = try PrivateKeyFile.decode(try dir.read("key"), passphrase: nil)
        #expect(certificate.publicKey == key.publicKey)
        #expect(certificate.certificateType == key.publicKey.keyType + "-cert-v01@openssh.com")
        #expect(text.hasPrefix(certificate.certificateType + " "))
        #expect(certificate.kind == .user)
        #expect(certificate.keyID == "ferry-id")
        #expect(certificate.principals == ["ferrytest", "other"])
        #expect(certificate.serial == 42)
        #expect(certificate.extensions.contains("permit-pty"))
        #expect(certificate.criticalOptions.isEmpty)
        let now = UInt64(Date().timeIntervalSince1970)
        #expect(certificate.isValid(at: now))
        #expect(!certificate.isValid(at: now + 7200))
        #expect(certificate.signatureKeyBlob == (try SSHPublicKey(openSSHLine: try dir.read("ca.pub"))).blob)
        try certificate.verifySignature()
        #expect(certificate.openSSHLine.trimmingCharacters(in: .whitespacesAndNewlines)
                    == text.trimmingCharacters(in: .whitespacesAndNewlines))
        // The CA's signature covers every byte: one flip in the key ID is caught.
        var forged = certificate.blob
        let idRange = try #require(forged.firstRange(of: Array("ferry-id".utf8)))
        forged[idRange.lowerBound] ^= 1
        expectCryptoError(.invalidSignature) { try SSHCertificate(blob: forged).verifySignature() }
    }

    @Test func algorithmNames() {
        #expect(SSHCertificate.algorithmName(for: .rsaSHA512) == "rsa-sha2-512-cert-v01@openssh.com")
        #expect(SSHCertificate.algorithmName(for: .rsaSHA256) == "rsa-sha2-256-cert-v01@openssh.com")
        #expect(SSHCertificate.algorithmName(for: .ed25519) == "ssh-ed25519-cert-v01@openssh.com")
        #expect(SSHCertificate.algorithmName(for: .ecdsaP384) == "ecdsa-sha2-nistp384-cert-v01@openssh.com")
    }

    @Test func refusesWhatIsNotAUserCertificate() throws {
        let dir = try TemporaryDirectory()
        _ = try Self.makeCertificate(.ed25519, in: dir)
        expectCryptoError(.invalidKey, .unsupportedAlgorithm) { _ = try SSHCertificate(openSSHLine: try dir.read("key.pub")) }
        expectCryptoError(.invalidKey) { _ = try SSHCertificate(openSSHLine: "") }
        expectCryptoError(.invalidKey) { _ = try SSHCertificate(openSSHLine: "ssh-ed25519-cert-v01@openssh.com !!!") }
        let text = try dir.read("key-cert.pub")
        let wrongWord = "ecdsa-sha2-nistp256-cert-v01@openssh.com" + text.drop(while: { $0 != " " })
        expectCryptoError(.invalidKey) { _ = try SSHCertificate(openSSHLine: wrongWord) }
        try SSHKeygen.succeed(["-q", "-s", "ca", "-h", "-I", "host", "-n", "example.com", "key.pub"], in: dir.url)
        #expect(try SSHCertificate(openSSHLine: try dir.read("key-cert.pub")).kind == .host)
    }

    @Test(arguments: [Spec.ed25519, .p521, .rsa2048]) func mutationsNeverTrap(_ spec: Spec) throws {
        let dir = try TemporaryDirectory()
        let certificate = try SSHCertificate(openSSHLine: try Self.makeCertificate(spec, in: dir))
        let publicKey = certificate.publicKey
        for (name, blob) in [("certificate", certificate.blob), ("public key", publicKey.blob)] {
            for index in 0..<blob.count {
                var flipped = blob
                flipped[index] ^= 1 << UInt8(index % 8)
                for candidate in [flipped, Array(blob.prefix(index))] {
                    do { _ = try SSHCertificate(blob: candidate) } catch is CryptoError {} catch {
                        Issue.record("\(name) byte \(index): non-CryptoError \(error)")
                    }
                    do { _ = try SSHPublicKey(blob: candidate) } catch is CryptoError {} catch {
                        Issue.record("\(name) byte \(index): non-CryptoError \(error)")
                    }
                    let line = certificate.certificateType + " " + Base64.encode(candidate)
                    do { _ = try SSHCertificate(openSSHLine: line) } catch is CryptoError {} catch {
                        Issue.record("\(name) line byte \(index): non-CryptoError \(error)")
                    }
                    do { _ = try SSHPublicKey(openSSHLine: publicKey.keyType + " " + Base64.encode(candidate)) } catch is CryptoError {} catch {
                        Issue.record("\(name) public line byte \(index): non-CryptoError \(error)")
                    }
                }
            }
        }
    }
}
