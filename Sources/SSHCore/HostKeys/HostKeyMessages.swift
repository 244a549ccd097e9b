import SSHCrypto

/// HostKeyMessages holds the texts a person sees when a host key is not
/// simply on record, worded after OpenSSH's sshconnect.c so that users (and
/// their search engines) recognise them. Each refusal starts with a one-line
/// summary ("host key for example.com changed: …") for logs and the CLI.
enum HostKeyMessages {
    static let bar = String(repeating: "@", count: 59)

    /// OpenSSH's short key type names ("ED25519", "ECDSA", "RSA").
    static func typeName(_ type: SSHKeyType) -> String {
        switch type {
        case .ed25519: "ED25519"
        case .ecdsaP256, .ecdsaP384, .ecdsaP521: "ECDSA"
        case .rsa: "RSA"
        }
    }

    static func changed(name: String, key: SSHPublicKey, previous: KnownHostsLocation, previousKey: SSHPublicKey,
                        recordFile: String?, dnsSpoofing: String?, strict: Bool) -> String {
        let type = typeName(key.type)
        let oldType = typeName(previousKey.type)
        var summary = "host key for \(name) has changed: the server sent a \(key.keyType) key \(key.fingerprintSHA256), "
        if previousKey.type == key.type {
            summary += "but a different \(previousKey.keyType) key is on record in \(previous)"
        } else {
            summary += "but only a key of another type (\(previousKey.keyType)) is on record, in \(previous); a server that changes key type is treated as a changed key"
        }
        var lines = [summary]
        if let dnsSpoofing { lines += [bar, "@       WARNING: POSSIBLE DNS SPOOFING DETECTED!          @", bar, dnsSpoofing] }
        lines += [
            bar,
            "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
            bar,
            "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
            "Someone could be eavesdropping on you right now (man-in-the-middle attack)!",
            "It is also possible that a host key has just been changed.",
            "The fingerprint for the \(type) key sent by the remote host is",
            "\(key.fingerprintSHA256).",
            "Please contact your system administrator.",
        ]
        if let recordFile { lines.append("Add correct host key in \(recordFile) to get rid of this message.") }
        lines += [
            "Offending \(oldType) key in \(previous)",
            "  remove with:",
            "  ssh-keygen -f \"\(previous.path)\" -R \"\(name)\"",
        ]
        lines.append(strict
            ? "Host key for \(name) has changed and you have requested strict checking."
            : "Password and keyboard-interactive authentication are disabled to avoid man-in-the-middle attacks.")
        return lines.joined(separator: "\n")
    }

    static func dnsSpoofing(name: String, address: String, key: SSHPublicKey, addressStatus: HostKeyStatus) -> String {
        let state: String
        switch addressStatus {
        case .unknown: state = "is unknown"
        case .match: state = "is unchanged"
        case .changed, .revoked: state = "has a different value"
        }
        var lines = [
            "The \(typeName(key.type)) host key for \(name) has changed,",
            "and the key for the corresponding IP address \(address)",
            "\(state). This could either mean that",
            "DNS SPOOFING is happening or the IP address for the host",
            "and its host key have changed at the same time.",
        ]
        if case .changed(_, let previous, _) = addressStatus { lines.append("Offending key for IP in \(previous)") }
        return lines.joined(separator: "\n")
    }

    static func revoked(name: String, key: SSHPublicKey, at location: KnownHostsLocation) -> String {
        [
            "host key for \(name) is revoked: the \(key.keyType) key \(key.fingerprintSHA256) is marked @revoked in \(location)",
            bar,
            "@       WARNING: REVOKED HOST KEY DETECTED!               @",
            bar,
            "The \(typeName(key.type)) host key for \(name) is marked as revoked.",
            "This could mean that a stolen key is being used to",
            "impersonate this host.",
        ].joined(separator: "\n")
    }

    static func unknownRefused(name: String, key: SSHPublicKey, reason: String) -> String {
        "host key for \(name) is not known: no \(typeName(key.type)) host key is known for \(name) and \(reason).\n"
            + "\(typeName(key.type)) key fingerprint is \(key.fingerprintSHA256).\n"
            + "Check the fingerprint with the server's administrator, then add it to known_hosts "
            + "(or connect once with StrictHostKeyChecking=accept-new)."
    }

    static func unknownQuestion(name: String, address: String?, key: SSHPublicKey, alsoKnownAs: [KnownHostsEntry]) -> String {
        var lines = ["The authenticity of host '\(name)\(address.map { " (\($0))" } ?? "")' can't be established."]
        lines.append("\(typeName(key.type)) key fingerprint is \(key.fingerprintSHA256).")
        if alsoKnownAs.isEmpty {
            lines.append("This key is not known by any other names.")
        } else {
            let shown = 8
            lines.append("This host key is known by the following other names/addresses:")
            for entry in alsoKnownAs.prefix(shown) {
                lines.append("    \(entry.location): \(entry.isHashed ? "[hashed name]" : KnownHostsFile.printable(entry.hostField.utf8))")
            }
            if alsoKnownAs.count > shown { lines.append("    (\(alsoKnownAs.count - shown) additional names omitted)") }
        }
        lines.append("Are you sure you want to continue connecting (yes/no/[fingerprint])? ")
        return lines.joined(separator: "\n")
    }

    static func addressDiffers(name: String, address: String, key: SSHPublicKey,
                               addressEntry: KnownHostsLocation, hostMatch: KnownHostsLocation?) -> String {
        var text = "Warning: the \(typeName(key.type)) host key for '\(name)' differs from the key for the IP address '\(address)'\n"
            + "Offending key for IP in \(addressEntry)"
        if let hostMatch { text += "\nMatching host key in \(hostMatch)" }
        return text
    }
}
