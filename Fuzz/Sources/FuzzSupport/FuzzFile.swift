import Glibc

/// FuzzFile writes an input to a per-process scratch file for parsers that
/// read paths (ssh_config with its Include), and reuses it every run.
public enum FuzzFile {
    public static func write(_ bytes: [UInt8], name: String) -> String? {
        let path = "/tmp/ferry-fuzz-\(getpid())-\(name)"
        guard let file = fopen(path, "w") else { return nil }
        defer { fclose(file) }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        return written == bytes.count ? path : nil
    }
}
