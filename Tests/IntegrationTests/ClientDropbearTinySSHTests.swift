import Foundation
import NIOCore
@_spi(Internals) import SSHCore
import SSHCrypto
import Testing

// ferry's client against the two other SSH servers the fixtures run:
// dropbear (its own algorithm set: CTR ciphers with hmac-sha1/sha2-256,
// rsa-sha2-256 but not -512, zlib@openssh.com) and tinysshd (curve25519,
// chacha20-poly1305 and Ed25519 only). Each case: the probe round trip and
// the negotiated algorithms; then volume, rekeying started by ferry, and
// (dropbear) compression.

private let needsRoot = "dropbear and tinysshd read ~/.ssh/authorized_keys of a dedicated account, which only root can create"

/// Streams `bytes` of random data from the server, hashing on both ends, and
/// expects them intact.
private func expectVolume(_ client: SSHClient, bytes: Int, in directory: String, _ label: String,
                          log: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let fifo = "\(directory)/hash-\(UUID().uuidString).fifo"
    let command = "set -e; mkfifo \(fifo); sha256sum < \(fifo) >&2 & head -c \(bytes) /dev/urandom | tee \(fifo); wait; rm -f \(fifo)"
    let digest = StreamingDigest()
    let errors = StreamingCollector()
    let exit = try await client.exec(command, timeout: .seconds(300),
                                     stdout: { digest.update($0) }, stderr: { errors.append($0) })
    let received = digest.finalize()
    let sent = String(errors.text.split(separator: " ").first ?? "")
    #expect(exit == .status(0) && digest.byteCount == UInt64(bytes) && received == sent,
            "\(label): \(digest.byteCount) of \(bytes) bytes, exit \(exit), sha256 \(received) vs the server's \(errors.text)\n\(tail(log()))",
            sourceLocation: sourceLocation)
}

/// RandomChunks is `count` chunks of `size` random bytes, made as they are
/// asked for (an input that is pulled, as exec's flow control pulls it).
private struct RandomChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let count: Int
    let size: Int
    /// Every chunk handed out goes through this too.
    let digest: StreamingDigest

    struct Iterator: AsyncIteratorProtocol {
        let sequence: RandomChunks
        var made = 0
        var generator = SystemRandomNumberGenerator()

        mutating func next() async -> ByteBuffer? {
            guard made < sequence.count else { return nil }
            made += 1
            var buffer = ByteBuffer()
            for _ in 0..<sequence.size / 8 { buffer.writeInteger(generator.next() as UInt64) }
            sequence.digest.update(buffer)
            return buffer
        }
    }

    func makeAsyncIterator() -> Iterator { Iterator(sequence: self) }
}

/// Sends `chunks` × 64 KiB of random data as the standard input of
/// `sha256sum` on the server, and expects the server's hash to be ours.
private func expectInput(_ client: SSHClient, chunks: Int, _ label: String,
                         log: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let sent = StreamingDigest()
    let output = StreamingCollector()
    let exit = try await client.exec("sha256sum", stdin: RandomChunks(count: chunks, size: 64 << 10, digest: sent),
                                     timeout: .seconds(300), stdout: { output.append($0) }, stderr: { output.append($0) })
    #expect(exit == .status(0) && output.text == "\(sent.finalize())  -\n" && sent.byteCount == UInt64(chunks) << 16,
            "\(label): exit \(exit), sent \(sent.byteCount) bytes, sha256 \(sent.finalize()); the server said \(output.text)\n\(tail(log()))",
            sourceLocation: sourceLocation)
}

@Suite("ferry client against dropbear", .enabled(if: TestAccount.runningAsRoot, "\(needsRoot)"))
struct ClientDropbearTests {
    @Test("every cipher, MAC, key exchange and host key algorithm dropbear offers")
    func algorithms() async throws {
        let dropbear = try await DropbearFixture.start()
        defer { dropbear.stop() }
        var cases: [(String, AlgorithmPreferences, @Sendable (NegotiatedAlgorithms) -> Bool)] = []
        for cipher in [CipherAlgorithm.chacha20Poly1305] {
            cases.append((cipher.rawValue, FerryClient.only(cipher: cipher.rawValue), {
                $0.cipherClientToServer == cipher && $0.cipherServerToClient == cipher }))
        }
        for cipher in [CipherAlgorithm.aes128CTR, .aes256CTR] {
            for mac in [MACAlgorithm.hmacSHA256, .hmacSHA1] {
                cases.append(("\(cipher.rawValue) \(mac.rawValue)", FerryClient.only(cipher: cipher.rawValue, mac: mac.rawValue), {
                    $0.cipherServerToClient == cipher && $0.cipherClientToServer == cipher
                        && $0.macServerToClient == mac && $0.macClientToServer == mac }))
            }
        }
        let kexMethods: [KeyExchangeAlgorithm] = [.curve25519SHA256, .curve25519SHA256LibSSH, .ecdhP256, .ecdhP384, .ecdhP521,
                                                  .dhGroup14SHA256, .dhGroup14SHA1]
        for kex in kexMethods {
            cases.append((kex.rawValue, FerryClient.only(kex: kex.rawValue), { $0.keyExchange == kex }))
        }
        let hostKeys: [SignatureAlgorithm] = [.ed25519, .ecdsaP256, .ecdsaP384, .rsaSHA256, .rsaSHA1]
        for algorithm in hostKeys {
            cases.append((algorithm.rawValue, FerryClient.only(hostKey: algorithm.rawValue), { $0.hostKey == algorithm }))
        }
        let all = cases
        await forEach(Array(all.indices), width: 2) { index in
            let (label, preferences, check) = all[index]
            await expectRoundTrip(dropbear, "dropbear \(label)", algorithms: preferences) { negotiated, _ in check(negotiated) }
        }
    }

    @Test("every client key type; RSA signs with rsa-sha2-256, the one dropbear's server-sig-algs lists")
    func clientKeys() async throws {
        let dropbear = try await DropbearFixture.start(clientKeyTypes: [.ed25519, .ecdsaP256, .ecdsaP384, .ecdsaP521, .rsa3072])
        defer { dropbear.stop() }
        for key in dropbear.clientKeys {
            await expectRoundTrip(dropbear, "dropbear client key \(key.type)", identities: [key.privateKeyPath],
                                  algorithms: AlgorithmPreferences()) { _, _ in true }
        }
    }

    @Test("8 MiB of stdin reaches the command intact, past dropbear's channel window")
    func standardInput() async throws {
        let dropbear = try await DropbearFixture.start()
        defer { dropbear.stop() }
        let client = try await FerryClient.connect(to: dropbear)
        try await expectInput(client, chunks: 128, "dropbear stdin", log: dropbear.log)
        await client.close()
    }

    @Test("32 MiB intact with ferry rekeying every 1 MiB, then with zlib@openssh.com")
    func volumeRekeyCompression() async throws {
        let dropbear = try await DropbearFixture.start()
        defer { dropbear.stop() }
        let plain = try await FerryClient.connect(to: dropbear, rekeyLimitBytes: 1 << 20)
        try await expectVolume(plain, bytes: 32 << 20, in: dropbear.scratchDirectory, "dropbear, rekeyLimitBytes 1 MiB",
                               log: dropbear.log)
        await expectProbe(plain, "dropbear after rekeys", log: tail(dropbear.log))
        await plain.close()

        let compressed = try await FerryClient.connect(
            to: dropbear, algorithms: FerryClient.only(compression: AlgorithmPreferences.compressionOn), rekeyLimitBytes: 1 << 20)
        let negotiated = try #require(await compressed.negotiatedAlgorithms)
        #expect(negotiated.compressionServerToClient == .zlibOpenSSH && negotiated.compressionClientToServer == .zlibOpenSSH,
                "\(negotiated)")
        try await expectVolume(compressed, bytes: 8 << 20, in: dropbear.scratchDirectory, "dropbear, zlib@openssh.com, rekeyLimitBytes 1 MiB",
                               log: dropbear.log)
        await expectProbe(compressed, "dropbear compressed", log: tail(dropbear.log))
        await compressed.close()
    }
}

@Suite("ferry client against tinysshd", .enabled(if: TestAccount.runningAsRoot, "\(needsRoot)"))
struct ClientTinySSHTests {
    @Test("defaults settle on what tinysshd has: curve25519, chacha20-poly1305, Ed25519")
    func defaults() async throws {
        let tinyssh = try await TinySSHFixture.start()
        defer { tinyssh.stop() }
        await expectRoundTrip(tinyssh, "tinysshd defaults", algorithms: AlgorithmPreferences()) { negotiated, key in
            [.curve25519SHA256, .curve25519SHA256LibSSH].contains(negotiated.keyExchange)
                && negotiated.cipherClientToServer == .chacha20Poly1305 && negotiated.cipherServerToClient == .chacha20Poly1305
                && negotiated.hostKey == .ed25519 && key?.type == .ed25519
        }
        for kex in [KeyExchangeAlgorithm.curve25519SHA256, .curve25519SHA256LibSSH] {
            await expectRoundTrip(tinyssh, "tinysshd \(kex.rawValue)",
                                  algorithms: FerryClient.only(cipher: CipherAlgorithm.chacha20Poly1305.rawValue, kex: kex.rawValue,
                                                               hostKey: SignatureAlgorithm.ed25519.rawValue)) { negotiated, _ in
                negotiated.keyExchange == kex
            }
        }
    }

    @Test("what tinysshd lacks fails cleanly: aes128-ctr, ecdh-sha2-nistp256, ecdsa host keys")
    func unsupported() async throws {
        let tinyssh = try await TinySSHFixture.start()
        defer { tinyssh.stop() }
        for preferences in [FerryClient.only(cipher: CipherAlgorithm.aes128CTR.rawValue),
                            FerryClient.only(kex: KeyExchangeAlgorithm.ecdhP256.rawValue),
                            FerryClient.only(hostKey: SignatureAlgorithm.ecdsaP256.rawValue)] {
            do {
                let client = try await FerryClient.connect(to: tinyssh, algorithms: preferences)
                await client.close()
                Issue.record("connected to tinysshd with \(preferences)")
            } catch let error as SSHError {
                expectConnectFailure(error, .noCommonAlgorithm, "tinysshd \(preferences)")
            }
        }
    }

    @Test("8 MiB of stdin reaches the command intact, past tinysshd's channel window")
    func standardInput() async throws {
        let tinyssh = try await TinySSHFixture.start()
        defer { tinyssh.stop() }
        let client = try await FerryClient.connect(to: tinyssh)
        try await expectInput(client, chunks: 128, "tinysshd stdin", log: tinyssh.log)
        await client.close()
    }

    @Test("32 MiB intact with ferry rekeying every 1 MiB")
    func volumeRekey() async throws {
        let tinyssh = try await TinySSHFixture.start()
        defer { tinyssh.stop() }
        let client = try await FerryClient.connect(to: tinyssh, rekeyLimitBytes: 1 << 20)
        try await expectVolume(client, bytes: 32 << 20, in: tinyssh.scratchDirectory, "tinysshd, rekeyLimitBytes 1 MiB",
                               log: tinyssh.log)
        // tinysshd allows one session channel per connection: the exec that
        // carried the data was it.
        await client.close()
    }
}
