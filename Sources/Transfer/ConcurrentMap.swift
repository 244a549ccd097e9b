/// Runs `body` on every element with at most `width` calls in flight and
/// returns the results in the order of `items`.
///
/// Planning a tree sends one request per directory of a level (listing,
/// mkdir, setstat): all at once would be thousands of tasks and requests for
/// a wide tree, one at a time a round trip each. A bounded window keeps the
/// round trips overlapped and the fan-out fixed.
func concurrentMap<T: Sendable, R: Sendable>(_ items: [T], width: Int,
                                            _ body: @escaping @Sendable (T) async -> R) async -> [R?] {
    await withTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var pending = items.indices.makeIterator()
        for _ in 0..<max(1, width) {
            guard let index = pending.next() else { break }
            let item = items[index]
            group.addTask { (index, await body(item)) }
        }
        while let (index, result) = await group.next() {
            results[index] = result
            if let index = pending.next() {
                let item = items[index]
                group.addTask { (index, await body(item)) }
            }
        }
        return results
    }
}

/// Requests of one tree level kept in flight at once while planning.
let planningWidth = 32
