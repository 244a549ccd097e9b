import Foundation
import NIOCore

/// ErrorText is how an error reaches the user: its human message, never a
/// Swift type name (`SocketAddressError.UnknownHost`, `ioOnClosedChannel`).
/// Every error type of ferry's own layers describes itself with its
/// message; the few from SwiftNIO that can surface are worded here.
enum ErrorText {
    /// One line per line of the message (a host-key refusal has several),
    /// each with control characters made visible.
    static func describe(_ error: Error) -> String {
        printableLines(message(error))
    }

    /// The message of `error`, unescaped.
    static func message(_ error: Error) -> String {
        switch error {
        case let error as IOError:
            return String(cString: strerror(error.errnoCode))
        case let error as ChannelError:
            switch error {
            case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed, .eof:
                return "Connection closed"
            case .connectTimeout:
                return "Connection timed out"
            default:
                return "connection failed (\(error))"
            }
        default:
            return String(describing: error)
        }
    }

    /// Writes `ferry: <message>` to standard error.
    static func report(_ error: Error) {
        FileHandle.standardError.write(Data("ferry: \(describe(error))\n".utf8))
    }
}
