// mirror: make a local directory an exact copy of a remote one, as
// `rsync -a --delete host:dir/ local-dir/` would, with SFTPSession.sync.
//
//     mirror [-F ssh_config] [-n] <destination>:<remote-dir> <local-dir>
//
// Only what differs (by size and modification time) is copied; what the
// local directory has and the remote one lacks is deleted, and only when
// everything else succeeded. Each change is printed as `ferry sync -v`
// prints it ("new", "updated", "deleted", "mkdir", "attrs"), then a
// summary. `-n` only shows what would change.
import FerryKit
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
var options = SSHOptions()
var sync = SyncOptions()
sync.delete = true
if arguments.first == "-F", arguments.count > 1 { options.configFile = arguments[1]; arguments.removeFirst(2) }
if arguments.first == "-n" { sync.dryRun = true; arguments.removeFirst() }
guard arguments.count == 2, let colon = arguments[0].firstIndex(of: ":") else {
    FileHandle.standardError.write(Data("usage: mirror [-F ssh_config] [-n] <destination>:<remote-dir> <local-dir>\n".utf8))
    exit(2)
}
let destination = String(arguments[0][..<colon])
let remoteDirectory = String(arguments[0][arguments[0].index(after: colon)...])

do {
    let ssh = try await SSHConnection.connect(to: destination, options: options)
    let sftp = try await ssh.openSFTP()
    let report = try await sftp.sync(.download(SFTPPath(remoteDirectory), LocalPath(arguments[1])), options: sync) { change in
        print("\(change.kind.rawValue) \(change.path)")
    }
    print("\(report.checked) files checked, \(report.transferred) copied (\(report.bytes) bytes), "
        + "\(report.deleted) deleted, \(report.directoriesCreated) directories made\(sync.dryRun ? " (dry run)" : "")")
    await sftp.close()
    await ssh.close()
} catch let failure as SyncFailure {
    // Nothing was deleted: a sync that could not copy everything keeps the rest.
    FileHandle.standardError.write(Data("mirror: \(failure.report.failures.count) failures, first: \(failure)\n".utf8))
    exit(1)
} catch {
    FileHandle.standardError.write(Data("mirror: \(error)\n".utf8))
    exit(1)
}
