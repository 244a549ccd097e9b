import SFTP
import SCP
import SSHCore

/// Transfer: get/put/sync planning on top of SFTP and SCP.
public enum TransferInfo {
    public static let version = "0.1.0"
}
