import CLibcrypto
import CZlib

/// ZlibStreamStorage allocates and frees the `z_stream` that a compressor or
/// decompressor owns.
///
/// The z_stream lives in its own manual allocation rather than in a Swift
/// stored property because zlib keeps a pointer back to it (`state->strm`)
/// and refuses a stream that has moved; a Swift property has no stable
/// address.
///
/// zlib's internal buffers hold recent plaintext (the 32 KiB window, which
/// with "zlib" compression includes the user-auth password), so the stream
/// is given allocation hooks that zero every block before freeing it.
enum ZlibStreamStorage {
    /// Bytes in front of each block, recording its size for the wipe.
    private static let header = 16

    /// A zeroed z_stream with the wiping allocator installed, ready for
    /// deflateInit or inflateInit.
    static func allocate() -> UnsafeMutablePointer<z_stream> {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        stream.pointee.zalloc = { _, items, size in ZlibStreamStorage.allocateBlock(items: items, size: size) }
        stream.pointee.zfree = { _, block in ZlibStreamStorage.freeBlock(block) }
        stream.pointee.opaque = nil
        return stream
    }

    /// Frees the storage of a stream whose deflateEnd/inflateEnd has run.
    static func free(_ stream: UnsafeMutablePointer<z_stream>) {
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Runs `body` with the stream reading `input`, and detaches input and
    /// output again afterwards so the stream never keeps a dangling pointer.
    static func withInput<R>(_ stream: UnsafeMutablePointer<z_stream>, _ input: UnsafeRawBufferPointer,
                             _ body: () throws -> R) throws -> R {
        guard let inputCount = UInt32(exactly: input.count) else {
            throw CryptoError(.invalidLength, "a compressed payload must be under 4 GiB, not \(input.count) bytes")
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = inputCount
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
        }
        return try body()
    }

    /// One deflate or inflate `step` with `room` bytes appended to `output`
    /// as its output buffer; the unused tail is removed again (capacity is kept).
    static func step(_ stream: UnsafeMutablePointer<z_stream>, into output: inout [UInt8], room: Int,
                     _ call: (UnsafeMutablePointer<z_stream>) -> Int32) -> Int32 {
        let before = output.count
        output.append(contentsOf: repeatElement(0, count: room))
        let status = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return Z_STREAM_ERROR }
            stream.pointee.next_out = base + before
            stream.pointee.avail_out = UInt32(truncatingIfNeeded: room)
            return call(stream)
        }
        output.removeLast(Int(stream.pointee.avail_out))
        return status
    }

    /// zlib's `zalloc`: `items * size` bytes, or nil (which zlib reports as
    /// Z_MEM_ERROR) when the product overflows.
    private static func allocateBlock(items: UInt32, size: UInt32) -> UnsafeMutableRawPointer? {
        let (bytes, overflow) = Int(items).multipliedReportingOverflow(by: Int(size))
        guard !overflow, bytes <= Int.max - header else { return nil }
        let base = UnsafeMutableRawPointer.allocate(byteCount: header + bytes, alignment: header)
        base.storeBytes(of: bytes, as: Int.self)
        return base + header
    }

    /// zlib's `zfree`: wipes the block, then frees it.
    private static func freeBlock(_ block: UnsafeMutableRawPointer?) {
        guard let block else { return }
        let base = block - header
        let bytes = base.load(as: Int.self)
        OPENSSL_cleanse(block, bytes)
        base.deallocate()
    }
}

/// Builds the error for a zlib status, with zlib's own message when it set one.
func zlibError(_ what: String, status: Int32, stream: UnsafeMutablePointer<z_stream>) -> CryptoError {
    let name: String
    switch status {
    case Z_DATA_ERROR: name = "corrupt data"
    case Z_NEED_DICT: name = "a preset dictionary was requested"
    case Z_MEM_ERROR: name = "out of memory"
    case Z_STREAM_ERROR: name = "inconsistent stream state"
    case Z_BUF_ERROR: name = "no progress possible"
    case Z_VERSION_ERROR: name = "incompatible zlib version"
    case Z_STREAM_END: name = "the peer ended the stream"
    default: name = "status \(status)"
    }
    var detail = ""
    if let message = stream.pointee.msg {
        detail = " (" + String(cString: message) + ")"
    }
    return CryptoError(.compression, "\(what) failed: \(name)\(detail)")
}
