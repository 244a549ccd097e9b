/// Facts about this SSH implementation that appear on the wire.
public enum SSHCoreInfo {
    /// The software version ferry announces in its identification string
    /// (RFC 4253 §4.2: printable US-ASCII, no spaces or minus signs).
    public static let softwareVersion = "ferry_0.1"
}
