import Testing
@testable import SFTP

/// A refused request's cause, said once and in OpenSSH's words, so that
/// "stat /x: No such file" after the path never reaches the user.
@Suite struct SFTPErrorCauseTests {
    @Test func causesUseOpenSSHWording() {
        func refused(_ code: SFTPStatusCode, _ message: String) -> SFTPError {
            SFTPError(status: SFTPStatus(code: code, message: message, languageTag: ""), operation: "stat /x")
        }
        #expect(refused(.noSuchFile, "No such file").cause == "No such file or directory")
        #expect(refused(.permissionDenied, "Permission denied").cause == "Permission denied")
        #expect(refused(.failure, "Disk quota exceeded").cause == "Disk quota exceeded")
        #expect(refused(.failure, "").cause == "Failure")
        #expect(refused(.operationUnsupported, "").cause == "Operation unsupported")
        #expect(refused(.noSuchFile, "No such file").message == "stat /x: No such file", "message keeps the operation")
        #expect(SFTPError(.connectionClosed, "the SFTP session ended").cause == nil)
    }
}
