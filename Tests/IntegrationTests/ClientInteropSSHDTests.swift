import Foundation
@_spi(Internals) import SSHCore
import SSHCrypto
import Testing

// ferry's SSHClient against OpenSSH's sshd with ferry's default algorithms:
// the basic round trip and the client key types.

@Suite("ferry client against sshd")
struct ClientInteropSSHDTests {
    @Test("default algorithms: exec returns stdout, stderr and the exit status")
    func defaults() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        await expectRoundTrip(sshd, "defaults", algorithms: AlgorithmPreferences()) { negotiated, _ in
            negotiated.keyExchange == .curve25519SHA256 && negotiated.cipherClientToServer == .aes128GCM
        }
    }
}
