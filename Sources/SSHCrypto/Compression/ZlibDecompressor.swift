import CZlib

/// ZlibDecompressor is the receiving half of SSH "zlib" /
/// "zlib@openssh.com" compression (RFC 4253 §6.2): one inflate stream for
/// the whole connection direction, fed one packet payload at a time and
/// flushed with Z_SYNC_FLUSH, so each packet yields its plaintext at once.
///
/// The peer is hostile: a few kilobytes can inflate to gigabytes, so each
/// call stops with `.compression` as soon as one packet's output would pass
/// `maxOutputPerCall` (OpenSSH's limit is its maximum packet size, 256 KiB).
/// Memory used per call is therefore bounded by the cap, not by the input.
///
/// Allocation: zlib's state is allocated in `init` and its window on the
/// first packet. `decompress` appends to a caller-owned array; a transport
/// that reuses one array per direction (`removeAll(keepingCapacity: true)`)
/// stops allocating once that array has grown to the cap.
///
/// Not Sendable: a z_stream is mutable state used by one connection
/// direction at a time. After any failure the stream is unusable and every
/// later call throws: the history it depends on is gone.
public final class ZlibDecompressor {
    /// The most bytes one `decompress` call may produce.
    public let maxOutputPerCall: Int

    /// OpenSSH's cap: its largest packet, 256 KiB.
    public static let defaultMaxOutputPerCall = 256 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private var failure: CryptoError?

    /// Starts an inflate stream (zlib wrapper) whose calls may each produce
    /// 1 byte to 1 GiB.
    public init(maxOutputPerCall: Int = ZlibDecompressor.defaultMaxOutputPerCall) throws {
        guard maxOutputPerCall >= 1, maxOutputPerCall <= 1 << 30 else {
            throw CryptoError(.invalidLength, "decompression cap must be 1 byte to 1 GiB, not \(maxOutputPerCall)")
        }
        self.maxOutputPerCall = maxOutputPerCall
        stream = ZlibStreamStorage.allocate()
        let status = ferry_inflateInit(stream)
        guard status == Z_OK else {
            let error = zlibError("inflateInit", status: status, stream: stream)
            ZlibStreamStorage.free(stream)
            throw error
        }
    }

    deinit {
        inflateEnd(stream)
        ZlibStreamStorage.free(stream)
    }

    /// Inflates one packet's compressed payload and appends the plaintext to
    /// `output`. An empty input appends nothing.
    ///
    /// - Throws: `.compression` if the data is corrupt, asks for a preset
    ///   dictionary, ends the stream, or would inflate past
    ///   `maxOutputPerCall`; `.invalidLength` for an input of 4 GiB or more.
    ///   On error `output` is restored to its previous length and the stream
    ///   is marked failed.
    public func decompress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws {
        if let failure { throw failure }
        let start = output.count
        try ZlibStreamStorage.withInput(stream, input) {
            // One byte past the cap is allowed in, so reaching it proves the cap
            // was exceeded without inflating any further.
            let allowance = maxOutputPerCall + 1
            var produced = 0
            var room = min(max(input.count * 4, 4096), allowance)
            while true {
                room = min(room, allowance - produced)
                let status = ZlibStreamStorage.step(stream, into: &output, room: room) { inflate($0, Z_SYNC_FLUSH) }
                produced = output.count - start
                if produced > maxOutputPerCall {
                    throw fail(CryptoError(.compression,
                        "a compressed packet inflates past \(maxOutputPerCall) bytes; the peer may be sending a zip bomb"),
                        output: &output, start: start)
                }
                switch status {
                case Z_OK where stream.pointee.avail_out == 0:
                    room = min(room * 2, allowance)  // more output may be pending
                case Z_OK where stream.pointee.avail_in == 0,
                     Z_BUF_ERROR where stream.pointee.avail_in == 0:
                    return  // the packet is used up; the stream continues with the next one
                default:
                    throw fail(zlibError("inflate", status: status, stream: stream), output: &output, start: start)
                }
            }
        }
    }

    /// Convenience for callers holding an array, slice or SecureBytes.
    public func decompress(_ input: some ContiguousBytes, appendingTo output: inout [UInt8]) throws {
        try input.withUnsafeBytes { try decompress($0, appendingTo: &output) }
    }

    /// Marks the stream failed and undoes this call's output.
    private func fail(_ error: CryptoError, output: inout [UInt8], start: Int) -> CryptoError {
        failure = error
        output.removeSubrange(start...)
        return error
    }
}

@available(*, unavailable, message: "a zlib stream belongs to one connection direction")
extension ZlibDecompressor: Sendable {}
