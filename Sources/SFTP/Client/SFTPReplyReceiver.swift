/// SFTPReplyReceiver takes the replies to requests sent with
/// `SFTPConnection.send(_:maxData:to:range:)`: one object per pipeline run
/// instead of a closure (and its allocation) per request.
///
/// `receive` is called exactly once per request, with the range the
/// request was sent with and its reply or the error that ended the
/// session, on the session's reader task (or the sender's, when the
/// session had already ended): it must not block.
protocol SFTPReplyReceiver: AnyObject, Sendable {
    func receive(_ range: PipelineRange, _ result: Result<SFTPReply, SFTPError>)
}
