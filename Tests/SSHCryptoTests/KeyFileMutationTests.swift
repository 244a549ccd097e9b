import Foundation
import Testing
@testable import SSHCrypto

/// Truncated and bit-flipped key files of every format: each load ends in a
/// CryptoError or a key, never a trap. (A trap would kill the test process,
/// so reaching the end is the assertion; the error type is checked too.)
@Suite struct KeyFileMutationTests {
    /// Decodes `text` and records anything thrown that is not a CryptoError.
    static func load(_ text: String, _ context: @autoclosure () -> String) {
        do {
            _ = try PrivateKeyFile.isEncrypted(text)
            _ = try PrivateKeyFile.decode(text, passphrase: PrivateKeyFileInteropTests.secret(PrivateKeyFileInteropTests.passphrase))
        } catch is CryptoError {
        } catch {
            Issue.record("non-CryptoError \(error) \(context())")
        }
    }

    /// Positions from 0 to `count`, about `samples` of them, always both ends.
    static func positions(_ count: Int, samples: Int) -> [Int] {
        let step = max(1, count / samples)
        return Array(stride(from: 0, to: count, by: step)) + [max(0, count - 1)]
    }

    @Test(arguments: [PrivateKeyFileInteropTests.Spec.ed25519, .p256, .rsa2048])
    func truncationsAndBitFlipsNeverTrap(_ spec: PrivateKeyFileInteropTests.Spec) throws {
        let dir = try TemporaryDirectory()
        // One bcrypt round keeps a thousand decryptions quick.
        let cases = try PrivateKeyFileInteropTests.makeFiles(spec, in: dir, rounds: 1)
        for file in cases {
            let text = try dir.read(file.name)
            let bytes = Array(text.utf8)
            // An encrypted OpenSSH file costs a bcrypt run per try (slow in
            // debug builds): few samples; the plain file covers its section.
            let samples = file.name == "ctr" || file.name == "gcm" ? 4 : 40
            let started = Date()
            defer { print("mutations of \(spec.rawValue) \(file.name): \(Date().timeIntervalSince(started))s") }
            for length in Self.positions(bytes.count, samples: samples) {
                Self.load(String(decoding: bytes.prefix(length), as: UTF8.self), "\(file.name) truncated to \(length)")
            }
            // Text-level flips reach the armor and PEM headers.
            for index in Self.positions(bytes.count, samples: samples) {
                var flipped = bytes
                flipped[index] ^= 1 << UInt8(index % 7)
                Self.load(String(decoding: flipped, as: UTF8.self), "\(file.name) text byte \(index) flipped")
            }
            // Binary-level flips and truncations reach every field behind the Base64.
            let label = try Self.label(of: text)
            guard var binary = PEMArmor.decodeWithHeaders(text, label: label) else {
                Issue.record("\(file.name) did not un-armor")
                continue
            }
            defer { binary.wipe() }
            let headers = text.components(separatedBy: "\n").filter { $0.contains(":") }.joined(separator: "\n")
            func rearmor(_ body: [UInt8]) -> String {
                let armored = PEMArmor.encode(body, label: label)
                guard !headers.isEmpty, let firstNewline = armored.firstIndex(of: "\n") else { return armored }
                return String(armored[...firstNewline]) + headers + "\n\n" + String(armored[armored.index(after: firstNewline)...])
            }
            for index in Self.positions(binary.count, samples: samples * 2) {
                var flipped = binary
                flipped[index] ^= 1 << UInt8(index % 8)
                Self.load(rearmor(flipped), "\(file.name) binary byte \(index) flipped")
                Self.load(rearmor(Array(binary.prefix(index))), "\(file.name) binary truncated to \(index)")
            }
        }
    }

    @Test func randomTextNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        let prefixes = ["", "-----BEGIN OPENSSH PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----\n",
                        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n",
                        "-----BEGIN EC PRIVATE KEY-----\n", "-----BEGIN "]
        for round in 0..<400 {
            let count = Int.random(in: 0..<600, using: &generator)
            let body = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let prefix = prefixes[round % prefixes.count]
            let text = prefix + Base64.encode(body) + (round % 2 == 0 ? "\n-----END PRIVATE KEY-----\n" : "")
            Self.load(text, "random round \(round)")
            Self.load(prefix + String(decoding: body, as: UTF8.self), "random raw round \(round)")
        }
    }

    static func label(of text: String) throws -> String {
        switch try PrivateKeyFile.format(of: text) {
        case .openSSH: OpenSSHPrivateKeyEnvelope.label
        case .pem(let label): label
        }
    }
}
