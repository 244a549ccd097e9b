import SSHCrypto

/// Fixed keys the targets need as the "other side" (a user's key for
/// publickey auth, a known host key for known_hosts lookups). Loaded once;
/// they are test keys with no value (the same as in Tests/SSHCryptoTests).
public enum FuzzKeys {
    public static let ed25519File = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
        QyNTUxOQAAACBoQs7qh4+f6Y5cOZmUS2UsjxBC4VEJHkkdhGxQMBzmdAAAAJCKIZySiiGc
        kgAAAAtzc2gtZWQyNTUxOQAAACBoQs7qh4+f6Y5cOZmUS2UsjxBC4VEJHkkdhGxQMBzmdA
        AAAECSoXLdkdGRqL2/3GYIYFJBvf4w+mO5Q2r8c2CJWTCXQ2hCzuqHj5/pjlw5mZRLZSyP
        EELhUQkeSR2EbFAwHOZ0AAAAB21lQGhvc3QBAgMEBQY=
        -----END OPENSSH PRIVATE KEY-----

        """
    public static let ed25519Line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhCzuqHj5/pjlw5mZRLZSyPEELhUQkeSR2EbFAwHOZ0 me@host"

    /// The private key, or nil if it cannot load (then targets skip it).
    public static let privateKey: SSHPrivateKey? = try? PrivateKeyFile.decode(ed25519File, passphrase: nil)
    public static let publicKey: SSHPublicKey? = try? SSHPublicKey(openSSHLine: ed25519Line)
}
