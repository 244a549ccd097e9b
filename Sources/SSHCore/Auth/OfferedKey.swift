import SSHCrypto

/// OfferedKey is one key the publickey method offers: a private key ferry
/// holds, or a key held by an ssh-agent, optionally presented with an OpenSSH
/// certificate (PROTOCOL.certkeys: the request names the certificate algorithm
/// and carries the certificate; the key signs as usual).
struct OfferedKey: Sendable {
    /// Who signs.
    enum Signer: Sendable {
        /// A private key loaded from a file.
        case privateKey(SSHPrivateKey)
        /// A key an ssh-agent holds; the agent signs.
        case agent(SSHAgentClient, SSHPublicKey)
    }

    let signer: Signer
    let certificate: SSHCertificate?

    var publicKey: SSHPublicKey {
        switch signer {
        case .privateKey(let key): key.publicKey
        case .agent(_, let key): key
        }
    }

    /// The SSH signature blob over `data`.
    func sign(_ data: [UInt8], algorithm: SignatureAlgorithm) throws -> [UInt8] {
        switch signer {
        case .privateKey(let key): return try key.sign(data, algorithm: algorithm)
        case .agent(let agent, let key): return try agent.sign(data, with: key, algorithm: algorithm)
        }
    }

    /// The algorithm name and key blob the request carries.
    func presentation(for algorithm: SignatureAlgorithm) -> (algorithm: String, blob: [UInt8]) {
        if let certificate { return (SSHCertificate.algorithmName(for: algorithm), certificate.blob) }
        return (algorithm.rawValue, publicKey.blob)
    }
}
