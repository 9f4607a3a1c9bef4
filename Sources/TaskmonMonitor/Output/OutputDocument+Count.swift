extension OutputDocument {
    /// Streams up to this size get their matches counted (once per query and size), for the
    /// "3/17" of a search, when they are read from a local file; a bigger one says only where
    /// the view is. The count runs on the UI thread: at memory speed that is a fraction of a
    /// second.
    static let countLimit: Int64 = 512 << 20
    /// The same through the scheduler's socket, which is some 20 times slower.
    static let remoteCountLimit: Int64 = 24 << 20

    private var countableSize: Int64 {
        (cache.source as? SpoolOutputSource)?.readsLocally == true || cache.source is FileOutputSource
            || cache.source is MemoryOutputSource ? Self.countLimit : Self.remoteCountLimit
    }

    /// Which match the view is at and how many there are, `(3, 17)`, or nil when not known
    /// (no match gone to, or a stream too big to count).
    package var matchPosition: (index: Int, total: Int)? {
        guard let current = searchState.current else { return nil }
        if searchState.counted?.query != searchState.query || searchState.counted?.size != cache.size {
            countMatches()
        }
        guard let counted = searchState.counted, let offsets = counted.offsets else { return nil }
        // The first match starting at or after the current one's start.
        var low = 0, high = offsets.count
        while low < high {
            let middle = (low + high) / 2
            if offsets[middle] < current.lowerBound { low = middle + 1 } else { high = middle }
        }
        return (min(offsets.count, low + 1), offsets.count)
    }

    /// Counts every match of the search in the stream as it is now (non-overlapping, as they
    /// are highlighted), reading at the source's speed: the spool file for a finished task.
    private func countMatches() {
        guard let pattern = searchState.pattern else { return }
        let size = cache.size
        guard size <= countableSize else {
            searchState.counted = OutputSearchState.Count(query: searchState.query, size: size, offsets: nil)
            return
        }
        var offsets: [Int64] = []
        var position: Int64 = 0
        let chunk = Int64(max(configuration.searchReadLength, 2 * pattern.count))
        let complete = attempt(false) {
            while position < size {
                let length = Int(min(chunk, size - position))
                let data = try cache.readUncached(offset: position, length: length)
                guard data.count >= pattern.count else { break }
                let atEnd = data.count < length || position + Int64(data.count) >= size
                // A match that could run past this read is looked for again in the next one.
                let safeEnd = atEnd ? data.count : data.count - pattern.count + 1
                var resume = safeEnd
                for match in pattern.allMatches(in: data[...]) where match.lowerBound < safeEnd {
                    offsets.append(position + Int64(match.lowerBound))
                    resume = max(resume, match.upperBound)
                }
                if atEnd { break }
                position += Int64(resume)
            }
            return true
        }
        searchState.counted = OutputSearchState.Count(query: searchState.query, size: size, offsets: complete ? offsets : nil)
    }
}
