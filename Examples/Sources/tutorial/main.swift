// tutorial: paramiko's SSH tutorial, step by step, with FerryKit.
//
//     tutorial [-F ssh_config] <destination> [remote-dir]
//
// Connects as `ssh <destination>` would (ssh_config, known_hosts, agent,
// identity files, jump hosts), runs `uname -a`, opens SFTP, uploads a small
// file into remote-dir (default: the login directory), lists remote-dir,
// downloads the file back and compares it, removes it, and closes. Each
// step is printed as the paramiko call it stands for, so the two can be
// read side by side (Sources/FerryKit/FerryKit.docc/GettingStarted.md).
import FerryKit
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
var options = SSHOptions()
if arguments.first == "-F", arguments.count > 1 { options.configFile = arguments[1]; arguments.removeFirst(2) }
guard let destination = arguments.first else {
    FileHandle.standardError.write(Data("usage: tutorial [-F ssh_config] <destination> [remote-dir]\n".utf8))
    exit(2)
}
let directory = arguments.count > 1 ? arguments[1] : "."
let name = "ferry-tutorial-\(ProcessInfo.processInfo.processIdentifier).txt"
let local = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
let back = local + ".back"
let remote = directory + "/" + name

var succeeded = false
do {
    try Data("hello from FerryKit\n".utf8).write(to: URL(fileURLWithPath: local))

    print("client.connect(\"\(destination)\")")
    let ssh = try await SSHConnection.connect(to: destination, options: options)
    print("client.exec_command(\"uname -a\")")
    let uname = try await ssh.run("uname -a", timeout: .seconds(30)).check()
    print("    " + uname.output, terminator: "")
    print("sftp = client.open_sftp()")
    let sftp = try await ssh.openSFTP()
    print("sftp.put(\"\(local)\", \"\(remote)\")")
    try await sftp.upload(local, to: remote)
    print("sftp.listdir(\"\(directory)\")")
    let names = try await sftp.listNames(directory)
    print("    \(names.count) names; \(name) \(names.contains(name) ? "is one" : "is MISSING")")
    print("sftp.get(\"\(remote)\", \"\(back)\")")
    try await sftp.download(remote, to: back)
    let same = FileManager.default.contentsEqual(atPath: local, andPath: back)
    print("    the copy \(same ? "matches" : "DIFFERS FROM") the original")
    print("sftp.remove(\"\(remote)\")")
    try await sftp.remove(remote)
    print("sftp.close(); client.close()")
    await sftp.close()
    await ssh.close()
    succeeded = same && names.contains(name)
} catch {
    FileHandle.standardError.write(Data("tutorial: \(error)\n".utf8))
}
try? FileManager.default.removeItem(atPath: local)
try? FileManager.default.removeItem(atPath: back)
exit(succeeded ? 0 : 1)
