import Foundation
import NIOCore

/// Writes received bytes to a file descriptor completely, retrying short
/// writes and EINTR. It runs on the connection's event loop on purpose: while
/// the terminal or pipe is slow, the loop does not read the socket, the SSH
/// window is not reopened, and the server is held back — backpressure
/// without buffering.
enum OutputWriter {
    static func writeAll(_ buffer: ByteBuffer, to fd: Int32) {
        buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n; continue }
                if n < 0 && errno == EINTR { continue }
                return  // EPIPE or similar: the reader went away; drop the rest.
            }
        }
    }
}
