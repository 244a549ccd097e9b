import NIOCore

extension SSHClient {
    /// Why the connection ended (the peer closed it, a packet failed its
    /// MAC, keepalives went unanswered…), or nil while it lives. A caller
    /// that sees its operations fail asks this to tell a lost connection,
    /// worth a reconnect, from a refusal the server would repeat.
    public var connectionFailure: Error? {
        get async {
            let handler = self.handler
            return try? await channel.eventLoop.submit { handler.value.failure }.get() ?? nil
        }
    }
}
