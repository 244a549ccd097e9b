import ArgumentParser
import Transfer

@main
struct Ferry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Fast, safe file transfer over SSH (SFTP and SCP).",
        version: TransferInfo.version,
        subcommands: []
    )
}
