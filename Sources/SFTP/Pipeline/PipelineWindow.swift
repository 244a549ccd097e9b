/// PipelineWindow is how many requests a pipeline keeps outstanding: one at
/// first, one more after each reply, up to `limit` (OpenSSH's slow start).
///
/// Starting at one means a small file costs one request, and a server that
/// fails the first request has not been sent a hundred more.
struct PipelineWindow {
    let limit: Int
    private(set) var size = 1

    init(limit: Int) { self.limit = max(1, limit) }

    mutating func replied() {
        if size < limit { size += 1 }
    }
}

/// What one outstanding request of a pipeline covered.
struct PipelineRange: Sendable {
    let offset: UInt64
    let length: Int
}
