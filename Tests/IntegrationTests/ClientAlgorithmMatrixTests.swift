import Foundation
@_spi(Internals) import SSHCore
import SSHCrypto
import Testing

// Every algorithm ferry implements, negotiated with OpenSSH's sshd: one sshd
// per configuration family offers everything (legacy algorithms included),
// and each case has the client offer one algorithm of the category under
// test, run the probe command and check that exactly that algorithm was
// negotiated. Cases run a few at a time on the one server.

/// sshd_config lines that enable every algorithm ferry implements,
/// including the legacy ones OpenSSH leaves off by default.
private let everyAlgorithm = [
    "Ciphers " + CipherAlgorithm.allCases.map(\.rawValue).joined(separator: ","),
    "MACs " + MACAlgorithm.allCases.map(\.rawValue).joined(separator: ","),
    "KexAlgorithms " + KeyExchangeAlgorithm.allCases.map(\.rawValue).joined(separator: ","),
    "HostKeyAlgorithms " + SignatureAlgorithm.allCases.map(\.rawValue).joined(separator: ","),
    "PubkeyAcceptedAlgorithms " + SignatureAlgorithm.allCases.map(\.rawValue).joined(separator: ","),
]

/// How many cases share the server at once.
private let width = 3

@Suite("algorithm matrix against sshd")
struct ClientAlgorithmMatrixTests {
    @Test("every cipher, and every MAC with each non-AEAD cipher")
    func ciphersAndMACs() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: everyAlgorithm)
        defer { sshd.stop() }
        var cases: [(CipherAlgorithm, MACAlgorithm?)] = []
        for cipher in CipherAlgorithm.allCases {
            if cipher.isAEAD {
                cases.append((cipher, nil))
            } else {
                cases += MACAlgorithm.allCases.map { (cipher, $0) }
            }
        }
        #expect(cases.count == 3 + 3 * 6)
        await forEach(cases, width: width) { cipher, mac in
            // An AEAD cipher still needs a MAC list in KEXINIT; offer every MAC.
            let preferences = FerryClient.only(cipher: cipher.rawValue, mac: mac?.rawValue)
            await expectRoundTrip(sshd, "\(cipher.rawValue) \(mac?.rawValue ?? "(implicit MAC)")",
                                  algorithms: preferences) { negotiated, _ in
                negotiated.cipherClientToServer == cipher && negotiated.cipherServerToClient == cipher
                    && negotiated.macClientToServer == mac && negotiated.macServerToClient == mac
            }
        }
    }

    @Test("every key exchange method, legacy ones included")
    func keyExchange() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: everyAlgorithm)
        defer { sshd.stop() }
        #expect(KeyExchangeAlgorithm.allCases.count == 12)
        await forEach(KeyExchangeAlgorithm.allCases, width: width) { kex in
            await expectRoundTrip(sshd, kex.rawValue, algorithms: FerryClient.only(kex: kex.rawValue)) { negotiated, _ in
                negotiated.keyExchange == kex
            }
        }
    }

    @Test("every host key algorithm, ssh-rsa included, verifies the key it names")
    func hostKeys() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: everyAlgorithm)
        defer { sshd.stop() }
        await forEach(SignatureAlgorithm.allCases, width: width) { algorithm in
            await expectRoundTrip(sshd, algorithm.rawValue,
                                  algorithms: FerryClient.only(hostKey: algorithm.rawValue)) { negotiated, key in
                negotiated.hostKey == algorithm && key?.type == algorithm.keyType
            }
        }
    }

    @Test("every client key type authenticates (RSA with rsa-sha2-512 from server-sig-algs)")
    func clientKeys() async throws {
        let types: [SSHKeyType] = [.ed25519, .ecdsaP256, .ecdsaP384, .ecdsaP521, .rsa3072]
        let sshd = try await SSHDFixture.start(
            extraConfig: ["LogLevel DEBUG2"], clientKeyTypes: types)
        defer { sshd.stop() }
        for key in sshd.clientKeys {
            await expectRoundTrip(sshd, "client key \(key.type)", identities: [key.privateKeyPath],
                                  algorithms: AlgorithmPreferences()) { _, _ in true }
        }
        // sshd logs the signature algorithm of each accepted key.
        let log = sshd.log
        for expected in ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512"] {
            #expect(log.contains("pkalg \(expected) "), "sshd never saw a \(expected) signature:\n\(tail(log, lines: 80))")
        }
        #expect(!log.contains("pkalg ssh-rsa "), "RSA must not sign with SHA-1 when the server offers SHA-2")
    }

    @Test("OpenSSH's defaults refuse the legacy algorithms: a clean no-common-algorithm error")
    func legacyRefusedByDefault() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let legacy: [(String, AlgorithmPreferences)] = [
            ("ssh-rsa", FerryClient.only(hostKey: SignatureAlgorithm.rsaSHA1.rawValue)),
            ("diffie-hellman-group1-sha1", FerryClient.only(kex: KeyExchangeAlgorithm.dhGroup1SHA1.rawValue)),
            ("diffie-hellman-group14-sha1", FerryClient.only(kex: KeyExchangeAlgorithm.dhGroup14SHA1.rawValue)),
            ("diffie-hellman-group-exchange-sha1", FerryClient.only(kex: KeyExchangeAlgorithm.dhGroupExchangeSHA1.rawValue)),
        ]
        for (name, preferences) in legacy {
            let clock = ContinuousClock()
            let began = clock.now
            do {
                let client = try await FerryClient.connect(to: sshd, algorithms: preferences)
                await client.close()
                Issue.record("\(name): connected although sshd does not offer it")
            } catch let error as SSHError {
                expectConnectFailure(error, .noCommonAlgorithm, containing: [name], name)
            } catch {
                Issue.record("\(name): \(error)")
            }
            #expect(clock.now - began < .seconds(25), "\(name): the refusal took \(clock.now - began)")
        }
    }
}
