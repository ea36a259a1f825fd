/// A little-endian cursor over bytes it does not own. Every read is checked against the end
/// of the buffer, so a hostile or truncated file turns into a `GGUFError`, never a trap.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    /// What is being read, for error messages ("tensor count", "metadata key #3").
    var field: String = "header"

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    func truncated(needing needed: Int) -> GGUFError {
        .truncated(field: field, offset: offset, needed: needed, fileSize: bytes.count)
    }

    mutating func skip(_ count: Int) throws(GGUFError) {
        guard count >= 0, count <= remaining else { throw truncated(needing: count) }
        offset += count
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else { throw truncated(needing: size) }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    /// A GGUF string: a UInt64 byte length, then that many bytes (not NUL-terminated).
    mutating func readString() throws(GGUFError) -> Range<Int> {
        let lengthOffset = offset
        let length = try read(UInt64.self)
        guard length <= UInt64(remaining) else {
            offset = lengthOffset
            throw .countTooLarge(field: "\(field) string length", count: length, offset: lengthOffset, available: remaining)
        }
        let start = offset
        offset += Int(length)
        return start..<offset
    }

    /// Reads a count and checks that `count` items of at least `minimumItemSize` bytes each
    /// could still fit, so nothing sized by it can exhaust memory or run past the end.
    mutating func readCount(minimumItemSize: Int) throws(GGUFError) -> Int {
        let countOffset = offset
        let count = try read(UInt64.self)
        let (needed, overflow) = count.multipliedReportingOverflow(by: UInt64(minimumItemSize))
        guard !overflow, needed <= UInt64(remaining) else {
            throw .countTooLarge(field: field, count: count, offset: countOffset, available: remaining)
        }
        return Int(count)
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes in `range` as text (invalid UTF-8 is repaired), at most `limit` bytes of it:
    /// for names in error messages, which may come from a hostile file.
    func text(_ range: Range<Int>, limit: Int = 256) -> String {
        let clipped = range.count > limit ? range.lowerBound..<(range.lowerBound + limit) : range
        return String(decoding: UnsafeRawBufferPointer(rebasing: self[clipped]), as: UTF8.self)
    }
}
