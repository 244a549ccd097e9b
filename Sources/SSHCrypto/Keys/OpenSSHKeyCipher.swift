import CLibcrypto

/// OpenSSHKeyCipher is one of the ciphers that may protect the private
/// section of an "openssh-key-v1" file, with the sizes OpenSSH's cipher.c
/// gives it: bcrypt_pbkdf derives `keyLength + ivLength` bytes, key first.
///
/// The whole section is one message: CTR and CBC (without padding — the
/// section is already padded to `blockSize`) start from the derived IV; GCM
/// uses the 12-byte derived IV as its nonce, no AAD, and the 16-byte tag
/// follows the section in the file.
struct OpenSSHKeyCipher: Sendable {
    /// How the block cipher is used.
    enum Mode: Sendable {
        /// Counter mode (aes*-ctr): OpenSSH's current default, and ferry's writer.
        case ctr
        /// Cipher block chaining without padding (aes*-cbc): OpenSSH's default before aes256-ctr.
        case cbc
        /// Galois/counter mode with a 16-byte tag (aes*-gcm@openssh.com).
        case gcm
    }

    let name: String
    let keyLength: Int
    let mode: Mode

    /// Bytes of IV after the key in the KDF output.
    var ivLength: Int { mode == .gcm ? 12 : 16 }
    /// The section must be a multiple of this (AES's block size for every mode).
    var blockSize: Int { 16 }
    /// Bytes of authentication tag after the section.
    var tagLength: Int { mode == .gcm ? 16 : 0 }

    /// The cipher ferry writes: OpenSSH's default.
    static let defaultForWriting = OpenSSHKeyCipher(name: "aes256-ctr", keyLength: 32, mode: .ctr)

    /// Every cipher ferry can read key files with.
    static let all: [OpenSSHKeyCipher] = [
        OpenSSHKeyCipher(name: "aes128-ctr", keyLength: 16, mode: .ctr),
        OpenSSHKeyCipher(name: "aes192-ctr", keyLength: 24, mode: .ctr),
        defaultForWriting,
        OpenSSHKeyCipher(name: "aes128-cbc", keyLength: 16, mode: .cbc),
        OpenSSHKeyCipher(name: "aes192-cbc", keyLength: 24, mode: .cbc),
        OpenSSHKeyCipher(name: "aes256-cbc", keyLength: 32, mode: .cbc),
        OpenSSHKeyCipher(name: "aes128-gcm@openssh.com", keyLength: 16, mode: .gcm),
        OpenSSHKeyCipher(name: "aes256-gcm@openssh.com", keyLength: 32, mode: .gcm),
    ]

    /// The cipher called `name` in a key file, or nil if ferry has none.
    static func named(_ name: String) -> OpenSSHKeyCipher? {
        all.first { $0.name == name }
    }

    private var evpCipher: OpaquePointer? {
        switch (mode, keyLength) {
        case (.ctr, 16): EVP_aes_128_ctr()
        case (.ctr, 24): EVP_aes_192_ctr()
        case (.ctr, 32): EVP_aes_256_ctr()
        case (.cbc, 16): EVP_aes_128_cbc()
        case (.cbc, 24): EVP_aes_192_cbc()
        case (.cbc, 32): EVP_aes_256_cbc()
        case (.gcm, 16): EVP_aes_128_gcm()
        case (.gcm, 32): EVP_aes_256_gcm()
        default: nil
        }
    }

    /// Decrypts a private section with `keyAndIV` (the KDF output).
    ///
    /// - Throws: `.wrongPassphrase` when a GCM tag does not verify (a wrong
    ///   passphrase and a corrupted file cannot be told apart), and
    ///   `.invalidKeyFile` when the section or tag has the wrong size.
    func decrypt(_ ciphertext: SecureBytes, tag: [UInt8], keyAndIV: SecureBytes) throws -> SecureBytes {
        guard ciphertext.count % blockSize == 0 else {
            throw CryptoError(.invalidKeyFile, "encrypted private section of \(ciphertext.count) bytes is not a multiple of the \(blockSize)-byte block size of \(name)")
        }
        guard tag.count == tagLength else {
            throw CryptoError(.invalidKeyFile, "key file has \(tag.count) byte(s) after the private section; \(name) needs \(tagLength)")
        }
        var tag = tag
        return try SecureBytes(count: ciphertext.count) { output in
            try ciphertext.withUnsafeBytes { input in
                try tag.withUnsafeMutableBytes { tagBuffer in
                    guard try crypt(input, into: output, keyAndIV: keyAndIV, encrypt: false, tag: tagBuffer) else {
                        throw CryptoError(.wrongPassphrase, "incorrect passphrase for the key file")
                    }
                }
            }
        }
    }

    /// Encrypts a padded private section; returns the ciphertext and tag
    /// (empty except for GCM).
    func encrypt(_ plaintext: [UInt8], keyAndIV: SecureBytes) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        guard plaintext.count % blockSize == 0 else {
            throw CryptoError(.invalidLength, "private section of \(plaintext.count) bytes is not padded to \(blockSize)")
        }
        var output = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: tagLength)
        try plaintext.withUnsafeBytes { input in
            try output.withUnsafeMutableBytes { out in
                try tag.withUnsafeMutableBytes { tagBuffer in
                    _ = try crypt(input, into: out, keyAndIV: keyAndIV, encrypt: true, tag: tagBuffer)
                }
            }
        }
        return (output, tag)
    }

    /// One pass of the cipher. Returns false only when a GCM tag fails to verify.
    private func crypt(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                       keyAndIV: SecureBytes, encrypt: Bool, tag: UnsafeMutableRawBufferPointer) throws -> Bool {
        guard let cipher = evpCipher else {
            throw CryptoError(.unsupportedAlgorithm, "libcrypto lacks the cipher \(name)")
        }
        guard keyAndIV.count == keyLength + ivLength, input.count == output.count, input.count <= Int(Int32.max) else {
            throw CryptoError(.invalidLength, "\(name) key file cipher got inconsistent sizes")
        }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openssl("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        try keyAndIV.withUnsafeBytes { material in
            let base = material.baseAddress?.assumingMemoryBound(to: UInt8.self)
            try check(EVP_CipherInit_ex2(ctx, cipher, base, base.map { $0 + keyLength }, encrypt ? 1 : 0, nil),
                      "EVP_CipherInit_ex2(\(name))")
        }
        try check(EVP_CIPHER_CTX_set_padding(ctx, 0), "EVP_CIPHER_CTX_set_padding")
        if mode == .gcm, !encrypt {
            try check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tag.count), tag.baseAddress), "EVP_CTRL_GCM_SET_TAG")
        }
        var written: Int32 = 0
        if input.count > 0, let inBase = input.baseAddress, let outBase = output.baseAddress {
            try check(EVP_CipherUpdate(ctx, outBase.assumingMemoryBound(to: UInt8.self), &written,
                                       inBase.assumingMemoryBound(to: UInt8.self), Int32(input.count)),
                      "EVP_CipherUpdate(\(name))")
        }
        guard Int(written) == input.count else {
            throw CryptoError(.libcrypto, "\(name) returned \(written) of \(input.count) bytes")
        }
        var scratch = [UInt8](repeating: 0, count: 32)
        var finalLength: Int32 = 0
        let finished = scratch.withUnsafeMutableBufferPointer {
            EVP_CipherFinal_ex(ctx, $0.baseAddress, &finalLength) == 1
        }
        guard finished else {
            ERR_clear_error()
            guard mode == .gcm, !encrypt else { throw CryptoError(.libcrypto, "EVP_CipherFinal_ex(\(name)) failed") }
            return false
        }
        if mode == .gcm, encrypt {
            try check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tag.count), tag.baseAddress), "EVP_CTRL_GCM_GET_TAG")
        }
        return true
    }
}
