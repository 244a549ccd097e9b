extension SFTPClient {
    /// Why the session ended (the stream closed, the request timeout
    /// expired, the server broke the protocol), or nil while it lives:
    /// what tells a lost session from files the server refused.
    public var sessionFailure: SFTPError? { connection.failure }
}
