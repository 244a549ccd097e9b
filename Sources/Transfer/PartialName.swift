/// PartialName is where a file is written until it is complete: beside
/// the destination, hidden, as `.name.ferry-part`.
///
/// The canonical name is fixed so that a later `-a` finds what an
/// interrupted transfer left, and beside the destination so that the final
/// rename stays within one file system and is atomic. It is only ever
/// claimed exclusively (see `LocalPartialFile` and `RemotePartialFile`):
/// when something ferry cannot prove its own already holds it (a planted
/// link, another user's file, another transfer's live partial), the file
/// is written under a fresh random name, `.name.XXXXXXXXXXXX.ferry-part`,
/// instead. Such a file cannot be resumed, so it is removed on failure.
enum PartialName {
    static let suffix = ".ferry-part"

    /// The canonical partial name for a destination's last component.
    static func canonical(_ name: [UInt8]) -> [UInt8] {
        [UInt8(ascii: ".")] + fitting(name, extra: 1 + suffix.utf8.count) + Array(suffix.utf8)
    }

    /// A fresh, unpredictable partial name for a destination's last
    /// component: 12 random characters between the name and the suffix.
    static func random(_ name: [UInt8]) -> [UInt8] {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        let token = (0..<12).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }
        return [UInt8(ascii: ".")] + fitting(name, extra: 2 + token.count + suffix.utf8.count)
            + [UInt8(ascii: ".")] + token + Array(suffix.utf8)
    }

    /// A name longer than NAME_MAX (255 bytes) cannot be created: the
    /// destination's name is cut so that the partial name fits. Two long
    /// names may then share a canonical partial name; exclusive claiming
    /// gives the second a random one.
    private static func fitting(_ name: [UInt8], extra: Int) -> [UInt8] {
        let limit = 255 - extra
        return name.count <= limit ? name : Array(name.prefix(max(1, limit)))
    }
}
