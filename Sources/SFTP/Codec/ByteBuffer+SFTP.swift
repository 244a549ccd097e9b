import NIOCore

/// Checked readers and writers for the SSH types SFTP packets carry, directly
/// on `ByteBuffer` so that file data is sliced, never copied.
///
/// Every read checks that the bytes are there first and throws
/// `SFTPError.malformedPacket` otherwise: no peer input can trap.
extension ByteBuffer {
    mutating func sftpReadByte(_ what: @autoclosure () -> String) throws -> UInt8 {
        guard let value = readInteger(as: UInt8.self) else { throw SFTPError.malformed("truncated \(what())") }
        return value
    }

    mutating func sftpReadUInt32(_ what: @autoclosure () -> String) throws -> UInt32 {
        guard let value = readInteger(as: UInt32.self) else { throw SFTPError.malformed("truncated \(what())") }
        return value
    }

    mutating func sftpReadUInt64(_ what: @autoclosure () -> String) throws -> UInt64 {
        guard let value = readInteger(as: UInt64.self) else { throw SFTPError.malformed("truncated \(what())") }
        return value
    }

    /// Reads an SSH `string` as a slice sharing this buffer's storage; the
    /// declared length is checked against what remains before anything moves.
    mutating func sftpReadStringSlice(_ what: @autoclosure () -> String, maxLength: Int = Int.max) throws -> ByteBuffer {
        guard let length = getInteger(at: readerIndex, as: UInt32.self) else {
            throw SFTPError.malformed("truncated length of \(what())")
        }
        guard Int(length) <= maxLength else {
            throw SFTPError.malformed("\(what()) of \(length) bytes exceeds the limit of \(maxLength)")
        }
        guard Int(length) <= readableBytes - 4 else {
            throw SFTPError.malformed("\(what()) declares \(length) bytes, \(readableBytes - 4) remain")
        }
        moveReaderIndex(forwardBy: 4)
        guard let slice = readSlice(length: Int(length)) else { throw SFTPError.malformed("truncated \(what())") }
        return slice
    }

    /// Reads an SSH `string` as bytes.
    mutating func sftpReadBytes(_ what: @autoclosure () -> String, maxLength: Int = Int.max) throws -> [UInt8] {
        let slice = try sftpReadStringSlice(what(), maxLength: maxLength)
        return Array(slice.readableBytesView)
    }

    /// Reads an SSH `string` as text. Invalid UTF-8 is replaced rather than
    /// refused: these are messages and tags shown to people, never paths.
    mutating func sftpReadText(_ what: @autoclosure () -> String) throws -> String {
        let slice = try sftpReadStringSlice(what())
        return String(decoding: slice.readableBytesView, as: UTF8.self)
    }

    /// Throws unless every byte of the packet was consumed: trailing bytes
    /// mean we and the server disagree about the layout.
    func sftpExpectEnd(_ what: @autoclosure () -> String) throws {
        if readableBytes != 0 {
            throw SFTPError.malformed("\(what()) has \(readableBytes) unexpected trailing byte(s)")
        }
    }

    mutating func sftpWriteString<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        writeInteger(UInt32(truncatingIfNeeded: bytes.count))
        writeBytes(bytes)
    }

    mutating func sftpWriteString(_ text: String) {
        writeInteger(UInt32(truncatingIfNeeded: text.utf8.count))
        writeString(text)
    }

    mutating func sftpWriteString(buffer: ByteBuffer) {
        writeInteger(UInt32(truncatingIfNeeded: buffer.readableBytes))
        writeImmutableBuffer(buffer)
    }
}
