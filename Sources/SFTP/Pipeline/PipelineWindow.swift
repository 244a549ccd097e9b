/// PipelineWindow is how many requests a pipeline keeps outstanding: few at
/// first, one more after each reply, up to `limit` (OpenSSH's slow start,
/// which doubles the window every round trip).
///
/// Starting small means a server that fails the first request has not been
/// sent a hundred more. A file whose size is known starts with enough
/// requests to cover it (up to `initialCap`): a small file then costs one
/// round trip, its data and the EOF probe asked for together.
struct PipelineWindow {
    /// The most requests a known size may start with.
    static let initialCap = 8

    let limit: Int
    private(set) var size: Int

    init(limit: Int, initial: Int = 1) {
        self.limit = max(1, limit)
        self.size = max(1, min(self.limit, initial))
    }

    /// The starting window for `bytes` still to read or write in blocks of
    /// `block`: one request per block plus one (the EOF probe), capped.
    /// `cap` is `initialCap` unless the caller knows the link holds more
    /// (`ReadPipeline.initialRequests`).
    static func initial(covering bytes: UInt64?, block: Int, cap: Int = initialCap) -> Int {
        guard let bytes else { return 1 }
        let block = UInt64(max(1, block))
        let blocks = bytes / block + (bytes % block == 0 ? 0 : 1)
        return Int(min(UInt64(max(1, cap)), blocks + 1))
    }

    mutating func replied() {
        if size < limit { size += 1 }
    }
}

/// What one outstanding request of a pipeline covered.
struct PipelineRange: Sendable {
    let offset: UInt64
    let length: Int
}
