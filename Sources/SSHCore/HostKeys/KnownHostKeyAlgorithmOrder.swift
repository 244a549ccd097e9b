import SSHCrypto

extension KnownHosts {
    /// `algorithms` with those whose key type is on record for `host`:`port`
    /// moved to the front, each group keeping its order — OpenSSH's
    /// order_hostkeyalgs (sshconnect2.c), which ssh applies when
    /// HostKeyAlgorithms is not set. Without it a server whose RSA key alone
    /// is on record, but which also has an Ed25519 key, would present the
    /// Ed25519 key and be refused as a changed host.
    ///
    /// Only plain (unmarked) lines for the lookup name count; unknown
    /// algorithm names stay where the caller put them, in the second group.
    public func preferringKnownKeyTypes(_ algorithms: [String], host: String, port: Int,
                                        hostKeyAlias: String? = nil) -> [String] {
        let name = Self.lookupName(host: host, port: port, hostKeyAlias: hostKeyAlias)
        let known = Set(entries(matching: name).filter { $0.marker == .none }.map(\.key.type))
        guard !known.isEmpty else { return algorithms }
        func isKnown(_ algorithm: String) -> Bool {
            SignatureAlgorithm(rawValue: algorithm).map { known.contains($0.keyType) } ?? false
        }
        return algorithms.filter(isKnown) + algorithms.filter { !isKnown($0) }
    }
}
