import SSHCrypto
import SSHWire

/// The secrets one key exchange yields: the shared secret K (already in its
/// mpint wire encoding, as it enters every hash) and the exchange hash H.
struct ExchangeSecrets {
    /// K encoded as an SSH mpint (uint32 length + magnitude), wiped on release.
    let encodedSharedSecret: SecureBytes
    let exchangeHash: [UInt8]
    let hash: HashAlgorithm

    init(sharedSecret: SecureBytes, exchangeHash: [UInt8], hash: HashAlgorithm) {
        var w = WireWriter(capacity: sharedSecret.count + 8)
        sharedSecret.withUnsafeBytes { w.writeMPInt($0) }
        var bytes = w.bytes
        encodedSharedSecret = SecureBytes(bytes)
        bytes.wipe()
        self.exchangeHash = exchangeHash
        self.hash = hash
    }

    /// RFC 4253 §7.2: HASH(K ‖ H ‖ letter ‖ session_id), extended with
    /// HASH(K ‖ H ‖ K1 ‖ … ) until `length` bytes are available.
    func deriveKey(_ letter: Character, length: Int, sessionID: [UInt8]) -> SecureBytes {
        guard length > 0 else { return SecureBytes([UInt8]()) }
        var output: [UInt8] = []
        var d = Digest(hash)
        d.update(encodedSharedSecret)
        d.update(exchangeHash)
        d.update([UInt8(ascii: letter.unicodeScalars.first ?? "A")])
        d.update(sessionID)
        output += d.finalize()
        while output.count < length {
            var more = Digest(hash)
            more.update(encodedSharedSecret)
            more.update(exchangeHash)
            more.update(output)
            output += more.finalize()
        }
        let key = SecureBytes(output.prefix(length))
        output.wipe()
        return key
    }

    /// Builds the packet protection for one direction. Client-to-server uses
    /// letters A (IV), C (key), E (MAC key); server-to-client B, D, F.
    func protection(clientToServer: Bool, cipher: CipherAlgorithm, mac: MACAlgorithm?, sessionID: [UInt8]) throws -> any PacketProtection {
        let (ivLetter, keyLetter, macLetter): (Character, Character, Character) = clientToServer ? ("A", "C", "E") : ("B", "D", "F")
        let iv = deriveKey(ivLetter, length: cipher.ivLength, sessionID: sessionID)
        let key = deriveKey(keyLetter, length: cipher.keyLength, sessionID: sessionID)
        let macKey = mac.map { deriveKey(macLetter, length: $0.keyLength, sessionID: sessionID) }
        return try PacketProtectionFactory.make(cipher: cipher, mac: mac, key: key, iv: iv, macKey: macKey)
    }
}

/// The inputs of the exchange hash H that every method shares (RFC 4253 §8,
/// RFC 5656 §4, RFC 4419 §3, RFC 8731 §3).
struct ExchangeHashInput {
    let clientIdentification: String
    let serverIdentification: String
    let clientKexInit: [UInt8]
    let serverKexInit: [UInt8]

    /// H for the single-round methods: the client's and server's public values
    /// are strings for ECDH/X25519 and mpints for finite-field DH.
    func hash(_ algorithm: HashAlgorithm, hostKey: [UInt8], groupExchange: (min: UInt32, preferred: UInt32, max: UInt32, p: [UInt8], g: [UInt8])?,
              clientPublic: [UInt8], serverPublic: [UInt8], publicValuesAreMPInts: Bool, sharedSecret: SecureBytes) -> [UInt8] {
        var w = WireWriter(capacity: 2048)
        w.writeString(clientIdentification)
        w.writeString(serverIdentification)
        w.writeString(clientKexInit)
        w.writeString(serverKexInit)
        w.writeString(hostKey)
        if let gex = groupExchange {
            w.writeUInt32(gex.min)
            w.writeUInt32(gex.preferred)
            w.writeUInt32(gex.max)
            w.writeMPInt(gex.p)
            w.writeMPInt(gex.g)
        }
        if publicValuesAreMPInts {
            w.writeMPInt(clientPublic)
            w.writeMPInt(serverPublic)
        } else {
            w.writeString(clientPublic)
            w.writeString(serverPublic)
        }
        sharedSecret.withUnsafeBytes { w.writeMPInt($0) }
        var input = w.bytes
        let h = algorithm.hash(input)
        input.wipe()
        return h
    }
}
