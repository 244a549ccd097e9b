import NIOCore
import SSHCrypto
import SSHWire

/// UserAuthClient is the client side of the SSH authentication protocol
/// (RFC 4252) as a sans-I/O state machine: it asks for the `ssh-userauth`
/// service, learns the server's methods with a `none` request, then tries
/// the credentials it was given in order, as OpenSSH does.
public struct UserAuthClient {
    /// A way to prove who we are.
    public enum Credential: Sendable {
        /// A private key, signing the session (RFC 4252 §7).
        case publicKey(SSHPrivateKey)
        /// A private key presented with an OpenSSH certificate for it
        /// (PROTOCOL.certkeys): the request names the certificate algorithm
        /// and carries the certificate; the key signs as usual.
        case certificate(SSHPrivateKey, SSHCertificate)
    }

    /// What the layers around should do after a message.
    public enum Step {
        /// Send these payloads (each starts with its message number) and wait.
        case send([[UInt8]])
        /// Show this banner to the user (RFC 4252 §5.4), then keep waiting;
        /// its control characters are already made safe for a terminal.
        case banner(String)
        /// Authentication succeeded.
        case succeeded
    }

    public let user: String
    private var credentials: [Credential]
    private var allowedMethods: [String]?
    private var serverSignatureAlgorithms: [String]?
    private var triedMethods: [String] = []
    private var awaitingServiceAccept = false
    private var pending = false

    public init(user: String, credentials: [Credential]) {
        self.user = user
        self.credentials = credentials
    }

    /// Records the server's `server-sig-algs` (RFC 8308) to choose RSA signature algorithms.
    public mutating func setServerSignatureAlgorithms(_ names: [String]) {
        serverSignatureAlgorithms = names
    }

    /// The SERVICE_REQUEST that starts authentication.
    public mutating func start() -> [UInt8] {
        awaitingServiceAccept = true
        var w = WireWriter()
        w.writeByte(MessageNumber.serviceRequest.rawValue)
        w.writeString("ssh-userauth")
        return w.bytes
    }

    /// Handles one authentication-layer message (SERVICE_ACCEPT or 50–79).
    public mutating func receive(_ payload: [UInt8], sessionID: [UInt8]) throws -> Step {
        do {
            return try receiveMessage(payload, sessionID: sessionID)
        } catch let error as WireError {
            throw SSHError(.protocolError, "malformed authentication message: \(error.message)")
        }
    }

    private mutating func receiveMessage(_ payload: [UInt8], sessionID: [UInt8]) throws -> Step {
        var r = WireReader(payload)
        let number = try r.readByte()
        switch number {
        case MessageNumber.serviceAccept.rawValue where awaitingServiceAccept:
            awaitingServiceAccept = false
            let service = try r.readUTF8(maxLength: 64)
            guard service == "ssh-userauth" else {
                throw SSHError(.protocolError, "the server accepted service \"\(terminalSafeText(service))\" instead of ssh-userauth")
            }
            pending = true
            return .send([request(method: "none")])
        case MessageNumber.userauthBanner.rawValue:
            let text = try r.readUTF8(maxLength: 64 * 1024)
            return .banner(terminalSafeText(text))
        case MessageNumber.userauthSuccess.rawValue where pending:
            pending = false
            return .succeeded
        case MessageNumber.userauthFailure.rawValue where pending:
            let methods = try r.readNameList(maxLength: 4096, maxCount: 64)
            _ = try r.readBool()  // partial success: the next method is simply tried
            allowedMethods = methods
            if let next = try nextAttempt(sessionID: sessionID) { return .send([next]) }
            pending = false
            throw SSHError(.authenticationFailed, "Permission denied (\(methods.joined(separator: ","))).")
        default:
            throw SSHError(.protocolError, "unexpected authentication message \(number)")
        }
    }

    private mutating func nextAttempt(sessionID: [UInt8]) throws -> [UInt8]? {
        while !credentials.isEmpty {
            let credential = credentials.removeFirst()
            switch credential {
            case .publicKey(let key):
                guard allowedMethods?.contains("publickey") ?? true else { continue }
                guard let algorithm = signatureAlgorithm(for: key) else { continue }
                triedMethods.append("publickey")
                return try publicKeyRequest(key, algorithm: algorithm, sessionID: sessionID)
            case .certificate(let key, let certificate):
                guard allowedMethods?.contains("publickey") ?? true else { continue }
                guard let algorithm = signatureAlgorithm(for: key) else { continue }
                triedMethods.append("publickey")
                return try publicKeyRequest(key, algorithm: algorithm, sessionID: sessionID,
                                            presenting: (SSHCertificate.algorithmName(for: algorithm), certificate.blob))
            }
        }
        return nil
    }

    /// RSA keys sign with rsa-sha2-512 or -256 as the server allows; without
    /// server-sig-algs, rsa-sha2-512 (every server since OpenSSH 7.2 takes it).
    private func signatureAlgorithm(for key: SSHPrivateKey) -> SignatureAlgorithm? {
        guard key.type == .rsa else { return key.type.defaultSignatureAlgorithm }
        guard let offered = serverSignatureAlgorithms else { return .rsaSHA512 }
        return [SignatureAlgorithm.rsaSHA512, .rsaSHA256].first { offered.contains($0.rawValue) }
    }

    private func request(method: String) -> [UInt8] {
        var w = WireWriter()
        w.writeByte(MessageNumber.userauthRequest.rawValue)
        w.writeString(user)
        w.writeString("ssh-connection")
        w.writeString(method)
        return w.bytes
    }

    /// - Parameter presenting: a certificate's algorithm name and blob, sent
    ///   in place of the key's own.
    private func publicKeyRequest(_ key: SSHPrivateKey, algorithm: SignatureAlgorithm, sessionID: [UInt8],
                                  presenting: (algorithm: String, blob: [UInt8])? = nil) throws -> [UInt8] {
        var body = WireWriter()
        body.writeByte(MessageNumber.userauthRequest.rawValue)
        body.writeString(user)
        body.writeString("ssh-connection")
        body.writeString("publickey")
        body.writeBool(true)
        body.writeString(presenting?.algorithm ?? algorithm.rawValue)
        body.writeString(presenting?.blob ?? key.publicKey.blob)
        var signed = WireWriter()
        signed.writeString(sessionID)
        signed.writeRaw(body.bytes)
        let signature = try key.sign(signed.bytes, algorithm: algorithm)
        body.writeString(signature)
        return body.bytes
    }
}
