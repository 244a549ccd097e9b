/// Makes text a peer sent safe to print on a terminal: C0 control characters
/// other than newline and tab, DEL, and the C1 controls U+0080–U+009F (CSI,
/// OSC… which terminals obey like their ESC sequences) each become "?".
func terminalSafeText(_ text: String) -> String {
    String(text.unicodeScalars.map { scalar in
        let value = scalar.value
        let isControl = (value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7f...0x9f).contains(value)
        return isControl ? "?" : Character(scalar)
    })
}
