/// Makes text a peer sent safe to print on a terminal: C0 control characters
/// other than newline and tab, DEL, and the C1 controls U+0080–U+009F (CSI,
/// OSC… which terminals obey like their ESC sequences) each become "?". A CR
/// that ends a CR LF line is dropped, so CR LF text prints as lines.
func terminalSafeText(_ text: String) -> String {
    var safe = String.UnicodeScalarView()
    var scalars = text.unicodeScalars.makeIterator()
    var next = scalars.next()
    while let scalar = next {
        next = scalars.next()
        if scalar == "\r" && next == "\n" { continue }
        let value = scalar.value
        let isControl = (value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7f...0x9f).contains(value)
        safe.append(isControl ? "?" : scalar)
    }
    return String(safe)
}
