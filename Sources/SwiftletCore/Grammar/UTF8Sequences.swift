/// A set of bytes: which values a grammar position reads next.
struct ByteSet: Hashable {
    /// Bit b of word b / 64 is set when byte b is in the set.
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    init(_ range: ClosedRange<UInt8>) {
        for byte in range { insert(byte) }
    }

    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    mutating func formUnion(_ other: ByteSet) {
        words = (words.0 | other.words.0, words.1 | other.words.1, words.2 | other.words.2, words.3 | other.words.3)
    }

    static func == (a: ByteSet, b: ByteSet) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

/// Unicode scalar ranges as UTF-8 byte patterns, so that a grammar over characters can be
/// matched a byte at a time: a token may end inside a character, and the next one finish it.
enum UTF8Sequences {
    static let maxScalar: UInt32 = 0x10FFFF

    /// `ranges` (inclusive, any order, overlapping) sorted and merged.
    static func normalized(_ ranges: [(UInt32, UInt32)]) -> [(UInt32, UInt32)] {
        var merged: [(UInt32, UInt32)] = []
        for (low, high) in ranges.sorted(by: { $0.0 < $1.0 }) where low <= high {
            if let last = merged.last, low <= last.1 &+ 1 {
                merged[merged.count - 1].1 = max(last.1, high)
            } else {
                merged.append((low, high))
            }
        }
        return merged
    }

    /// The scalars not in normalized `ranges`.
    static func complement(_ ranges: [(UInt32, UInt32)]) -> [(UInt32, UInt32)] {
        var result: [(UInt32, UInt32)] = []
        var next: UInt32 = 0
        for (low, high) in ranges {
            if low > next { result.append((next, low - 1)) }
            next = high + 1
        }
        if next <= maxScalar { result.append((next, maxScalar)) }
        return result
    }

    /// The byte patterns whose strings are exactly the UTF-8 encodings of the scalars in
    /// `low...high` (surrogates left out): each pattern is one byte range per position.
    static func patterns(_ low: UInt32, _ high: UInt32, into patterns: inout [[ClosedRange<UInt8>]]) {
        guard low <= high else { return }
        if low <= 0xDFFF && high >= 0xD800 {
            if low < 0xD800 { Self.patterns(low, 0xD7FF, into: &patterns) }
            if high > 0xDFFF { Self.patterns(0xE000, high, into: &patterns) }
            return
        }
        // One encoded length at a time.
        for boundary: UInt32 in [0x7F, 0x7FF, 0xFFFF] where low <= boundary && high > boundary {
            Self.patterns(low, boundary, into: &patterns)
            Self.patterns(boundary + 1, high, into: &patterns)
            return
        }
        let length = encodedLength(low)
        // Split until, below each continuation byte, the range covers all 64 values or one.
        for i in 1..<length {
            let mask = (UInt32(1) << (6 * UInt32(i))) - 1
            guard low & ~mask != high & ~mask else { continue }
            if low & mask != 0 {
                Self.patterns(low, low | mask, into: &patterns)
                Self.patterns((low | mask) + 1, high, into: &patterns)
                return
            }
            if high & mask != mask {
                Self.patterns(low, (high & ~mask) - 1, into: &patterns)
                Self.patterns(high & ~mask, high, into: &patterns)
                return
            }
        }
        let first = encode(low), last = encode(high)
        var pattern: [ClosedRange<UInt8>] = []
        for k in 0..<length { pattern.append(first[k]...last[k]) }
        patterns.append(pattern)
    }

    static func encodedLength(_ scalar: UInt32) -> Int {
        scalar < 0x80 ? 1 : scalar < 0x800 ? 2 : scalar < 0x10000 ? 3 : 4
    }

    static func encode(_ scalar: UInt32) -> [UInt8] {
        switch encodedLength(scalar) {
        case 1: return [UInt8(scalar)]
        case 2: return [UInt8(0xC0 | scalar >> 6), UInt8(0x80 | scalar & 0x3F)]
        case 3: return [UInt8(0xE0 | scalar >> 12), UInt8(0x80 | scalar >> 6 & 0x3F), UInt8(0x80 | scalar & 0x3F)]
        default:
            return [UInt8(0xF0 | scalar >> 18), UInt8(0x80 | scalar >> 12 & 0x3F), UInt8(0x80 | scalar >> 6 & 0x3F),
                    UInt8(0x80 | scalar & 0x3F)]
        }
    }
}
