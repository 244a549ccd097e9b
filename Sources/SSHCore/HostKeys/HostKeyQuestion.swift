import SSHCrypto

/// HostKeyQuestion is what `StrictHostKeyChecking ask` puts to the user.
public struct HostKeyQuestion: Sendable {
    /// What is being asked.
    public enum Kind: Sendable, Hashable {
        /// No key is on record for the host: accept (and record) this one?
        case unknownHost
        /// The host's key is on record, but CheckHostIP found a different key for its IP address: connect anyway?
        case addressKeyDiffers
    }

    public let kind: Kind
    /// The name the key is looked up and recorded under.
    public let hostName: String
    /// The server's IP address, when known.
    public let address: String?
    /// The key the server presented.
    public let key: SSHPublicKey
    /// The full text to show, ending with the question.
    public let text: String

    /// The key's fingerprint as ssh prints it ("SHA256:…").
    public var fingerprint: String { key.fingerprintSHA256 }

    /// Interprets a typed answer as ssh's confirm() does: "yes" accepts,
    /// "no" refuses (either in any case), the key's fingerprint accepts an
    /// unknown host; anything else is nil — ask again ("Please type 'yes',
    /// 'no' or the fingerprint").
    public func answer(_ typed: String) -> Bool? {
        let trimmed = typed.trimmingBlanks()
        switch trimmed.lowercased() {
        case "yes": return true
        case "no": return false
        default: return kind == .unknownHost && trimmed == fingerprint ? true : nil
        }
    }
}

/// A caller's way to ask the user; returns whether the user accepted.
public typealias HostKeyPrompt = @Sendable (HostKeyQuestion) async -> Bool

extension String {
    /// Without leading and trailing blanks and line ends.
    func trimmingBlanks() -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
        return String(self[first...last])
    }
}
