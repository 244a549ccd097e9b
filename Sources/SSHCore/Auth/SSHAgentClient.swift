import Foundation
import SSHCrypto
import SSHWire
#if canImport(Glibc)
import Glibc
#endif

/// SSHAgentClient talks to an ssh-agent over its Unix socket
/// (`SSH_AUTH_SOCK` / `IdentityAgent`; draft-miller-ssh-agent): it lists the
/// agent's keys and asks it to sign, so private keys never enter ferry.
///
/// Requests are small and the agent is local, so each call is a short
/// blocking exchange on a socket of its own, with a timeout; an unreachable
/// agent is an error the caller skips with a `-v` message, as ssh does.
public struct SSHAgentClient: Sendable {
    /// One key the agent holds.
    public struct Identity: Sendable {
        public let publicKey: SSHPublicKey
        public let comment: String
    }

    public let socketPath: String
    /// Longest reply accepted (the agent is trusted, but not unboundedly).
    static let maximumMessageLength = 256 * 1024
    static let maximumIdentities = 2048

    /// Message numbers of the agent protocol.
    enum Message {
        static let failure: UInt8 = 5
        static let requestIdentities: UInt8 = 11
        static let identitiesAnswer: UInt8 = 12
        static let signRequest: UInt8 = 13
        static let signResponse: UInt8 = 14
    }

    /// Flags of SSH_AGENTC_SIGN_REQUEST choosing the RSA signature hash.
    enum SignFlags {
        static let rsaSHA256: UInt32 = 2
        static let rsaSHA512: UInt32 = 4
    }

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// The agent named by `SSH_AUTH_SOCK`, if set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SSHAgentClient? {
        guard let path = environment["SSH_AUTH_SOCK"], !path.isEmpty else { return nil }
        return SSHAgentClient(socketPath: path)
    }

    /// The keys the agent holds (keys of types ferry cannot use are skipped).
    public func identities() throws -> [Identity] {
        let reply = try exchange([Message.requestIdentities])
        var r = WireReader(reply)
        do {
            let type = try r.readByte()
            guard type == Message.identitiesAnswer else {
                throw SSHError(.protocolError, "the agent refused to list keys (reply \(type))")
            }
            let count = try r.readUInt32()
            guard count <= Self.maximumIdentities else {
                throw SSHError(.protocolError, "the agent lists \(count) keys (limit \(Self.maximumIdentities))")
            }
            var result: [Identity] = []
            for _ in 0..<count {
                let blob = Array(try r.readString(maxLength: 16 * 1024))
                let comment = String(decoding: try r.readString(maxLength: 4096), as: UTF8.self)
                if let key = try? SSHPublicKey(blob: blob) {
                    result.append(Identity(publicKey: key, comment: comment))
                }
            }
            return result
        } catch let error as WireError {
            throw SSHError(.protocolError, "malformed reply from the agent: \(error.message)")
        }
    }

    /// Asks the agent to sign `data` with `key`; returns the SSH signature
    /// blob. RSA keys sign with the hash `algorithm` names.
    public func sign(_ data: [UInt8], with key: SSHPublicKey, algorithm: SignatureAlgorithm) throws -> [UInt8] {
        var w = WireWriter(capacity: data.count + key.blob.count + 32)
        w.writeByte(Message.signRequest)
        w.writeString(key.blob)
        w.writeString(data)
        switch algorithm {
        case .rsaSHA512: w.writeUInt32(SignFlags.rsaSHA512)
        case .rsaSHA256: w.writeUInt32(SignFlags.rsaSHA256)
        default: w.writeUInt32(0)
        }
        let reply = try exchange(w.bytes)
        var r = WireReader(reply)
        do {
            let type = try r.readByte()
            guard type == Message.signResponse else {
                throw SSHError(.authenticationFailed, "the agent refused to sign with \(key.keyType) \(key.fingerprintSHA256)")
            }
            let signature = Array(try r.readString(maxLength: 16 * 1024))
            // The agent must have used the algorithm asked for (an old agent
            // might answer an rsa-sha2 request with ssh-rsa).
            var s = WireReader(signature)
            let name = try s.readUTF8(maxLength: 64)
            guard name == algorithm.rawValue else {
                throw SSHError(.authenticationFailed, "the agent signed with \(name), not \(algorithm.rawValue)")
            }
            return signature
        } catch let error as WireError {
            throw SSHError(.protocolError, "malformed signature from the agent: \(error.message)")
        }
    }

    /// Sends one request and reads its reply on a fresh connection.
    private func exchange(_ request: [UInt8]) throws -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SSHError(.io, "agent: socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { throw SSHError(.io, "agent socket path is too long: \(socketPath)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            throw SSHError(.io, "cannot reach the agent at \(socketPath): \(String(cString: strerror(errno)))")
        }
        var framed = WireWriter(capacity: request.count + 4)
        framed.writeString(request)
        try writeAll(fd, framed.bytes)
        let header = try readExactly(fd, 4)
        let length = Int(UInt32(header[0]) << 24 | UInt32(header[1]) << 16 | UInt32(header[2]) << 8 | UInt32(header[3]))
        guard length >= 1, length <= Self.maximumMessageLength else {
            throw SSHError(.protocolError, "the agent sent a reply of \(length) bytes")
        }
        return try readExactly(fd, length)
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SSHError(.io, "agent: write failed: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    private func readExactly(_ fd: Int32, _ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + offset, count - offset, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SSHError(.io, "agent: the connection closed mid-reply") }
            offset += n
        }
        return out
    }
}
