/// ByteCount reads a size as people write it on a command line: a number
/// of bytes, or a number with a K, M, G or T suffix (powers of 1024, as
/// rsync and ls take them; an optional trailing B or iB is allowed).
enum ByteCount {
    static func parse(_ text: String) -> UInt64? {
        var digits = Substring(text.uppercased())
        if digits.hasSuffix("IB") { digits = digits.dropLast(2) } else if digits.hasSuffix("B") { digits = digits.dropLast() }
        var shift: UInt64 = 0
        if let last = digits.last, let index = "KMGT".firstIndex(of: last) {
            shift = 10 * UInt64("KMGT".distance(from: "KMGT".startIndex, to: index) + 1)
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = UInt64(digits) else { return nil }
        let (result, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : result
    }
}
