import CZlib

/// ZlibCompressor is the sending half of SSH "zlib" / "zlib@openssh.com"
/// compression (RFC 4253 §6.2): one deflate stream for the whole connection
/// direction, with each packet's payload compressed and then flushed with
/// Z_PARTIAL_FLUSH, so the peer can inflate that packet as soon as it
/// arrives while later packets still use the history of earlier ones.
///
/// Allocation: zlib's state is allocated once, in `init`. `compress` appends
/// to a caller-owned array; a transport that keeps one array per direction
/// and empties it with `removeAll(keepingCapacity: true)` reaches a steady
/// state with no heap allocation per packet.
///
/// Not Sendable: a z_stream is mutable state used by one connection
/// direction at a time. After any failure the stream is unusable and every
/// later call throws, since the peer could no longer follow it.
public final class ZlibCompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private var failure: CryptoError?

    /// Starts a deflate stream (zlib wrapper, 32 KiB window) at `level`
    /// 0–9, or -1 for zlib's default; OpenSSH uses 6.
    public init(level: Int32 = 6) throws {
        guard (-1...9).contains(level) else {
            throw CryptoError(.compression, "zlib compression level must be -1...9, not \(level)")
        }
        stream = ZlibStreamStorage.allocate()
        let status = ferry_deflateInit(stream, level)
        guard status == Z_OK else {
            let error = zlibError("deflateInit", status: status, stream: stream)
            ZlibStreamStorage.free(stream)
            throw error
        }
    }

    deinit {
        deflateEnd(stream)
        ZlibStreamStorage.free(stream)
    }

    /// Compresses one packet payload and appends the flushed bytes to
    /// `output`; an empty payload may append nothing.
    ///
    /// On error `output` is restored to its previous length and the stream
    /// is marked failed.
    public func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws {
        if let failure { throw failure }
        let start = output.count
        try ZlibStreamStorage.withInput(stream, input) {
            // deflateBound covers the data; the slack covers the flush markers
            // and bits left over from the previous packet. If it is still short,
            // the loop grows the room.
            var room = min(Int(clamping: deflateBound(stream, UInt(input.count))) + 64, 1 << 30)
            while true {
                let status = ZlibStreamStorage.step(stream, into: &output, room: room) { deflate($0, Z_PARTIAL_FLUSH) }
                switch status {
                case Z_OK where stream.pointee.avail_out == 0:
                    room = min(room * 2, 1 << 30)  // more output is pending
                case Z_OK, Z_BUF_ERROR:
                    // Z_BUF_ERROR: nothing left to do (an empty payload after a flush).
                    if stream.pointee.avail_in == 0 { return }
                    fallthrough
                default:
                    let error = zlibError("deflate", status: status, stream: stream)
                    failure = error
                    output.removeSubrange(start...)
                    throw error
                }
            }
        }
    }

    /// Convenience for callers holding an array, slice or SecureBytes.
    public func compress(_ input: some ContiguousBytes, appendingTo output: inout [UInt8]) throws {
        try input.withUnsafeBytes { try compress($0, appendingTo: &output) }
    }
}

@available(*, unavailable, message: "a zlib stream belongs to one connection direction")
extension ZlibCompressor: Sendable {}
