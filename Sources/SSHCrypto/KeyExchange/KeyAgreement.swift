/// KeyAgreement is one side of one ephemeral key agreement: the math of an SSH
/// key exchange (RFC 4253 §8, RFC 5656 §4, RFC 8731), for client and server alike.
///
/// An instance makes its private value when it is created and keeps it to
/// itself: nothing reads it back out, and it is wiped when the instance goes
/// away. Make a new instance for every exchange (and every re-key); reusing one
/// would turn the ephemeral key into a static one.
///
/// Invariants every conforming type keeps:
/// - the private value never leaves the object and is zeroed on release;
/// - `sharedSecret` validates the peer's value before using it and refuses a
///   value that would give a degenerate or predictable secret, throwing
///   `CryptoError` with code `.invalidPublicValue` (any other failure is
///   `.libcrypto`); no bytes from a peer can make it trap;
/// - the object is immutable after init, so it is `Sendable`: the transport may
///   create it on one task and finish the exchange on another.
public protocol KeyAgreement: Sendable {
    /// What we send to the peer: Q_C/Q_S octets for ECDH and X25519; for
    /// finite-field DH the big-endian magnitude of e/f without leading zeros
    /// (the transport encodes it as mpint).
    var publicValue: [UInt8] { get }

    /// The shared secret K as a big-endian unsigned magnitude of fixed length
    /// (the field or modulus size, so it may start with zero bytes): the
    /// transport encodes it as mpint, which strips them. For curve25519 per
    /// RFC 8731 these are the 32 X25519 output bytes taken as a big-endian
    /// integer. Validates `peerPublicValue` first.
    func sharedSecret(peerPublicValue: [UInt8]) throws -> SecureBytes
}
