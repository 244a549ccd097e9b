import SSHCrypto
import SSHWire

/// UserAuthMessages encodes the requests of the `password` and
/// `keyboard-interactive` methods and decodes the server's method-specific
/// messages (number 60: PASSWD_CHANGEREQ or INFO_REQUEST, by method). Every
/// length and count from the server is capped before it is used.
enum UserAuthMessages {
    /// More prompts than this in one INFO_REQUEST is refused: real servers ask
    /// one to a few, and the count must not size anything before it is checked.
    static let maximumPrompts = 32
    static let maximumNameLength = 8 * 1024
    static let maximumInstructionLength = 64 * 1024
    static let maximumPromptLength = 8 * 1024

    /// SSH_MSG_USERAUTH_INFO_REQUEST (RFC 4256 §3.2), text made terminal-safe.
    struct InfoRequest: Equatable {
        var name: String
        var instruction: String
        var prompts: [AuthenticationPrompt.Question]
    }

    /// Decodes INFO_REQUEST (message number already read).
    static func decodeInfoRequest(_ r: inout WireReader) throws -> InfoRequest {
        let name = try r.readUTF8(maxLength: maximumNameLength)
        let instruction = try r.readUTF8(maxLength: maximumInstructionLength)
        _ = try r.readString(maxLength: 256)  // language tag, deprecated
        let count = try r.readUInt32()
        guard count <= UInt32(maximumPrompts) else {
            throw SSHError(.protocolError, "the server sent a keyboard-interactive request with \(count) prompts (at most \(maximumPrompts) are accepted)")
        }
        var prompts: [AuthenticationPrompt.Question] = []
        for _ in 0..<Int(count) {
            let text = try r.readUTF8(maxLength: maximumPromptLength)
            let echo = try r.readBool()
            prompts.append(.init(text: terminalSafeText(text), echo: echo))
        }
        try r.expectEnd("SSH_MSG_USERAUTH_INFO_REQUEST")
        return InfoRequest(name: terminalSafeText(name), instruction: terminalSafeText(instruction), prompts: prompts)
    }

    /// Decodes PASSWD_CHANGEREQ (RFC 4252 §8): the server's prompt, terminal-safe.
    static func decodePasswordChangeRequest(_ r: inout WireReader) throws -> String {
        let prompt = try r.readUTF8(maxLength: maximumInstructionLength)
        _ = try r.readString(maxLength: 256)
        return terminalSafeText(prompt)
    }

    /// SSH_MSG_USERAUTH_INFO_RESPONSE (RFC 4256 §3.4) with `answers`.
    static func infoResponse(_ answers: [SecureBytes]) -> SecureBytes {
        secretPayload([.byte(MessageNumber.userauthInfoResponse.rawValue), .uint32(UInt32(answers.count))]
                      + answers.map { .secret($0) })
    }

    /// USERAUTH_REQUEST for `password` (RFC 4252 §8), no new password.
    static func passwordRequest(user: String, password: SecureBytes) -> SecureBytes {
        secretPayload([.byte(MessageNumber.userauthRequest.rawValue), .text(user), .text("ssh-connection"),
                       .text("password"), .byte(0), .secret(password)])
    }

    /// One field of a payload that carries a secret.
    enum Field {
        /// A byte (message number, boolean).
        case byte(UInt8)
        /// A uint32.
        case uint32(UInt32)
        /// A string that is not secret.
        case text(String)
        /// A string that is secret.
        case secret(SecureBytes)

        var size: Int {
            switch self {
            case .byte: 1
            case .uint32: 4
            case .text(let t): 4 + t.utf8.count
            case .secret(let s): 4 + s.count
            }
        }
    }

    /// Builds a payload straight into wiped-on-release memory, so the secret
    /// is never copied into an ordinary array that could be freed uncleared.
    static func secretPayload(_ fields: [Field]) -> SecureBytes {
        let size = fields.reduce(0) { $0 + $1.size }
        return SecureBytes(count: size) { buffer in
            var offset = 0
            func put<C: Collection>(_ bytes: C) where C.Element == UInt8 {
                for byte in bytes where offset < buffer.count {
                    buffer[offset] = byte
                    offset += 1
                }
            }
            func putLength(_ n: Int) {
                let v = UInt32(truncatingIfNeeded: n)
                put([UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)])
            }
            for field in fields {
                switch field {
                case .byte(let b): put(CollectionOfOne(b))
                case .uint32(let v): putLength(Int(v))
                case .text(let t): putLength(t.utf8.count); put(t.utf8)
                case .secret(let s): putLength(s.count); s.withUnsafeBytes { put($0) }
                }
            }
        }
    }

    /// USERAUTH_REQUEST for `keyboard-interactive` (RFC 4256 §3.1): no
    /// language, no submethods (the server picks its devices).
    static func keyboardInteractiveRequest(user: String) -> [UInt8] {
        var w = WireWriter()
        w.writeByte(MessageNumber.userauthRequest.rawValue)
        w.writeString(user)
        w.writeString("ssh-connection")
        w.writeString("keyboard-interactive")
        w.writeString("")
        w.writeString("")
        return w.bytes
    }
}
