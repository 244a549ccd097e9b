import ArgumentParser
import SSHCrypto
import Transfer

@main
struct Ferry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Fast, safe file transfer over SSH (SFTP and SCP).",
        version: TransferInfo.version,
        subcommands: [GetCommand.self, PutCommand.self, CpCommand.self, SyncCommand.self, SFTPCommand.self, ExecCommand.self, BenchCommand.self, SpeedCommand.self, ConfigCommand.self, ProxyCommand.self]
    )

    static func main() async {
        StandardDescriptors.openClosedOnes()
        await UsageErrors.main()
    }

    @Option(name: [.customShort("Q"), .customLong("query")], help: ArgumentHelp(
        "List the supported algorithms of a kind, as ssh -Q does.",
        valueName: SupportedAlgorithms.kinds.joined(separator: "|")))
    var query: String?

    func run() async throws {
        guard let query else {
            print(Ferry.helpMessage())
            return
        }
        guard let names = SupportedAlgorithms.names(for: query) else {
            throw ValidationError("unsupported query \"\(query)\"; use one of: \(SupportedAlgorithms.kinds.joined(separator: ", "))")
        }
        for name in names { print(name) }
    }
}

/// What `ferry -Q` lists, named as ssh -Q names them.
enum SupportedAlgorithms {
    static let kinds = ["cipher", "cipher-auth", "mac"]

    static func names(for kind: String) -> [String]? {
        switch kind {
        case "cipher": CipherAlgorithm.allCases.map(\.rawValue)
        case "cipher-auth": CipherAlgorithm.allCases.filter(\.isAEAD).map(\.rawValue)
        case "mac": MACAlgorithm.allCases.map(\.rawValue)
        default: nil
        }
    }
}
