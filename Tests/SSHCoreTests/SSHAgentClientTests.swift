import Foundation
import SSHCrypto
import Testing
@_spi(Internals) @testable import SSHCore

/// ferry's agent client against OpenSSH's own ssh-agent, with keys loaded by
/// ssh-add: listing, signing with every key type (RSA with each hash), and the
/// signatures verifying.
@Suite struct SSHAgentClientTests {
    /// A running ssh-agent with its socket, killed at the end.
    /// Runs in the foreground (-D) and is not waited for: a daemonizing
    /// agent would inherit the descriptor Foundation's Process watches for the
    /// child's exit, and `waitUntilExit` would never return.
    final class Agent {
        let directory: URL
        let socket: String
        let process = Process()

        init() throws {
            directory = try makeTemporaryDirectory()
            socket = directory.appendingPathComponent("agent.sock").path
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["ssh-agent", "-D", "-a", socket]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) {
                usleep(50_000)
            }
            guard FileManager.default.fileExists(atPath: socket) else {
                kill(process.processIdentifier, SIGKILL)
                throw SSHError(.io, "ssh-agent did not create its socket")
            }
        }

        func add(_ keyPath: String) throws {
            let result = try runTool("sh", ["-c", "SSH_AUTH_SOCK='\(socket)' ssh-add -q '\(keyPath)' </dev/null"])
            guard result.status == 0 else { throw SSHError(.io, "ssh-add failed: \(result.errorText)") }
        }

        deinit {
            // SIGKILL: Process leaves the test runner's blocked-signal mask on
            // the child, so SIGTERM would never be delivered.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    func generateKey(_ type: String, bits: String? = nil, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("id_\(type)\(bits ?? "")").path
        let result = try runTool("ssh-keygen", ["-q", "-t", type] + (bits.map { ["-b", $0] } ?? []) + ["-N", "", "-C", "agent-test-\(type)", "-f", path])
        guard result.status == 0 else { throw SSHError(.io, "ssh-keygen failed: \(result.errorText)") }
        return path
    }

    @Test func listsAndSignsWithEveryKeyType() throws {
        let agent = try Agent()
        let keys = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: keys) }
        let paths = [try generateKey("ed25519", in: keys), try generateKey("ecdsa", bits: "256", in: keys),
                     try generateKey("ecdsa", bits: "521", in: keys), try generateKey("rsa", bits: "2048", in: keys)]
        for path in paths { try agent.add(path) }

        let client = SSHAgentClient(socketPath: agent.socket)
        let identities = try client.identities()
        #expect(identities.count == 4)
        let expected = try paths.map { try SSHPublicKey(openSSHLine: String(contentsOfFile: $0 + ".pub", encoding: .utf8)) }
        #expect(Set(identities.map(\.publicKey)) == Set(expected))
        #expect(identities.allSatisfy { $0.comment.hasPrefix("agent-test-") })

        let message = Array("session id and userauth request".utf8)
        for identity in identities {
            for algorithm in identity.publicKey.type.signatureAlgorithms where algorithm != .rsaSHA1 {
                let signature = try client.sign(message, with: identity.publicKey, algorithm: algorithm)
                try identity.publicKey.verify(signature: signature, for: message, allowed: [algorithm])
                #expect(throws: CryptoError.self) {
                    try identity.publicKey.verify(signature: signature, for: message + [0], allowed: [algorithm])
                }
            }
        }
    }

    @Test func aKeyTheAgentDoesNotHoldIsRefused() throws {
        let agent = try Agent()
        let client = SSHAgentClient(socketPath: agent.socket)
        #expect(try client.identities().isEmpty)
        let stranger = try SSHPrivateKey.generate(.ed25519).publicKey
        #expect(throws: SSHError(.authenticationFailed, "")) {
            try client.sign([1, 2, 3], with: stranger, algorithm: .ed25519)
        }
    }

    @Test func anUnreachableAgentIsAClearError() throws {
        let client = SSHAgentClient(socketPath: "/nonexistent/ferry-agent.sock")
        #expect(throws: SSHError(.io, "")) { try client.identities() }
        #expect(SSHAgentClient.fromEnvironment(["SSH_AUTH_SOCK": ""]) == nil)
        #expect(SSHAgentClient.fromEnvironment(["SSH_AUTH_SOCK": "/x"])?.socketPath == "/x")
    }
}
