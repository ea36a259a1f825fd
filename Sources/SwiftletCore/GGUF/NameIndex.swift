/// Finds names (metadata keys, tensor names) among byte ranges of a file in O(log n), and
/// finds duplicates in O(n log n) even for hostile counts. Sorting 64-bit hashes instead of
/// hashing `String`s keeps the core free of Unicode tables in the WebAssembly build;
/// equal hashes are always confirmed by comparing the bytes.
struct NameIndex {
    /// (hash, position in the caller's list), sorted by hash.
    private let sorted: [(hash: UInt64, position: Int)]
    private let names: [Range<Int>]
    private let bytes: UnsafeRawBufferPointer

        init(names: [Range<Int>], in bytes: UnsafeRawBufferPointer) {
        self.names = names
        self.bytes = bytes
        var entries: [(hash: UInt64, position: Int)] = []
        entries.reserveCapacity(names.count)
        for (position, range) in names.enumerated() {
            entries.append((Self.hash(UnsafeRawBufferPointer(rebasing: bytes[range])), position))
        }
        entries.sort { $0.hash != $1.hash ? $0.hash < $1.hash : $0.position < $1.position }
        self.sorted = entries
    }

    /// The position of a name that occurs more than once, or nil.
    func duplicate() -> Int? {
        var runStart = 0
        while runStart < sorted.count {
            var runEnd = runStart + 1
            while runEnd < sorted.count && sorted[runEnd].hash == sorted[runStart].hash { runEnd += 1 }
            // Equal hashes are nearly always equal names: the first comparison settles it.
            for i in runStart..<runEnd {
                for j in (i + 1)..<runEnd where name(sorted[i].position).elementsEqual(name(sorted[j].position)) {
                    return sorted[i].position
                }
            }
            runStart = runEnd
        }
        return nil
    }

    func position(of key: String) -> Int? {
        var key = key
        return key.withUTF8 { utf8 in position(of: UnsafeRawBufferPointer(utf8)) }
    }

    func position(of key: UnsafeRawBufferPointer) -> Int? {
        let target = Self.hash(key)
        var low = 0
        var high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid].hash < target { low = mid + 1 } else { high = mid }
        }
        while low < sorted.count && sorted[low].hash == target {
            if name(sorted[low].position).elementsEqual(key) { return sorted[low].position }
            low += 1
        }
        return nil
    }

    private func name(_ position: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[names[position]])
    }

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 { bytes.fnv1a }
}

extension UnsafeRawBufferPointer {
    /// 64-bit FNV-1a of the bytes: cheap, and good enough for tables whose hits are always
    /// confirmed by comparing bytes.
    var fnv1a: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in self { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}
