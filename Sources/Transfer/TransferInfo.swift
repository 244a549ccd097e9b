/// Transfer: get/put planning on top of SFTP (and later SCP): single files,
/// trees, resume, temporary names and the local file system.
public enum TransferInfo {
    public static let version = "0.1.0"
}
