import FuzzSupport
import NIOCore
@_spi(Fuzzing) import SFTP

// SFTP from the server: the frame decoder fed the input in two appends,
// each frame decoded as an SFTP message (every reply type) and as each
// OpenSSH extension reply ferry reads.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    var reader = FuzzReader(input)
    let split = Int(reader.byte())
    let bytes = reader.rest()
    var decoder = SFTPFrameDecoder(maxPacketLength: 64 * 1024)
    let cut = min(split, bytes.count)
    for part in [bytes[..<cut], bytes[cut...]] {
        decoder.append(ByteBuffer(bytes: part))
        while true {
            let next: ByteBuffer?
            do { next = try decoder.next() } catch { return 0 }
            guard let frame = next else { break }
            _ = try? SFTPMessage.decode(frame)
            if frame.readableBytes > 5, let body = frame.getSlice(at: frame.readerIndex + 5, length: frame.readableBytes - 5) {
                SFTPFuzzing.decodeExtensionReplies(body, userCount: split & 3, groupCount: split >> 6)
            }
        }
    }
    return 0
}

@_cdecl("FuzzSFTP_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
