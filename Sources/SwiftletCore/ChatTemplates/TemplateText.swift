/// Text helpers on UTF-8 bytes. Templates run in the Embedded core, where `String`
/// comparison and case mapping would pull in the Unicode tables, so text is kept as
/// `[UInt8]` and walked scalar by scalar. Python (what chat templates are written against)
/// indexes strings by code point, so lengths, slices and reversal are by scalar too.
enum TemplateText {
    static func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

    static func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// The scalar starting at `index` and its length in bytes. A malformed byte reads as
    /// U+FFFD of length 1, so a scan always moves forward.
    static func scalar(in bytes: [UInt8], at index: Int) -> (value: UInt32, length: Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; value = UInt32(lead & 0x07)
        default: return (0xFFFD, 1)
        }
        guard index + length <= bytes.count else { return (0xFFFD, 1) }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return (0xFFFD, 1) }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        return (value, length)
    }

    static func append(scalar value: UInt32, to bytes: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            bytes.append(UInt8(value))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | value >> 6))
            bytes.append(UInt8(0x80 | value & 0x3F))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | value >> 12))
            bytes.append(UInt8(0x80 | value >> 6 & 0x3F))
            bytes.append(UInt8(0x80 | value & 0x3F))
        default:
            bytes.append(UInt8(0xF0 | value >> 18))
            bytes.append(UInt8(0x80 | value >> 12 & 0x3F))
            bytes.append(UInt8(0x80 | value >> 6 & 0x3F))
            bytes.append(UInt8(0x80 | value & 0x3F))
        }
    }

    /// Byte ranges of each scalar, for code-point indexing and slicing.
    static func scalarRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < bytes.count {
            let length = scalar(in: bytes, at: index).length
            ranges.append(index..<index + length)
            index += length
        }
        return ranges
    }

    static func scalars(_ bytes: [UInt8]) -> [UInt32] {
        var values: [UInt32] = []
        var index = 0
        while index < bytes.count {
            let (value, length) = scalar(in: bytes, at: index)
            values.append(value)
            index += length
        }
        return values
    }

    static func scalarCount(_ bytes: [UInt8]) -> Int {
        var count = 0
        for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// Python's `str.isspace()`, which is also what `\s`, `strip()` and `split()` use.
    static func isWhitespace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A,
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Where the trailing run of whitespace in `bytes[range]` starts.
    static func trailingWhitespaceStart(_ bytes: [UInt8], in range: Range<Int>) -> Int {
        var end = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            let (value, length) = scalar(in: bytes, at: index)
            index += length
            if !isWhitespace(value) { end = index }
        }
        return end
    }

    /// Where the leading run of whitespace starting at `index` ends.
    static func leadingWhitespaceEnd(_ bytes: [UInt8], from index: Int) -> Int {
        var index = index
        while index < bytes.count {
            let (value, length) = scalar(in: bytes, at: index)
            guard isWhitespace(value) else { break }
            index += length
        }
        return index
    }

    /// Python's `str.strip/lstrip/rstrip`: whitespace, or the scalars in `characters`.
    static func strip(_ bytes: [UInt8], characters: [UInt32]?, leading: Bool, trailing: Bool) -> [UInt8] {
        let ranges = scalarRanges(bytes)
        func strippable(_ range: Range<Int>) -> Bool {
            let value = scalar(in: bytes, at: range.lowerBound).value
            if let characters { return characters.contains(value) }
            return isWhitespace(value)
        }
        var first = 0
        var last = ranges.count
        if leading { while first < last && strippable(ranges[first]) { first += 1 } }
        if trailing { while last > first && strippable(ranges[last - 1]) { last -= 1 } }
        guard first < last else { return [] }
        return Array(bytes[ranges[first].lowerBound..<ranges[last - 1].upperBound])
    }

    static func hasPrefix(_ bytes: [UInt8], _ prefix: [UInt8], at index: Int = 0) -> Bool {
        guard index >= 0, index + prefix.count <= bytes.count else { return false }
        for offset in 0..<prefix.count where bytes[index + offset] != prefix[offset] { return false }
        return true
    }

    static func hasSuffix(_ bytes: [UInt8], _ suffix: [UInt8]) -> Bool {
        hasPrefix(bytes, suffix, at: bytes.count - suffix.count)
    }

    /// The first byte offset of `needle` at or after `start`. UTF-8 is self-synchronizing,
    /// so a byte match of valid text is always a match on scalar boundaries.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if hasPrefix(haystack, needle, at: index) { return index }
            index += 1
        }
        return nil
    }

    /// Python's `str.split(sep, maxsplit)`; a nil separator splits on whitespace runs.
    static func split(_ bytes: [UInt8], separator: [UInt8]?, maxSplits: Int) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        guard let separator else {
            var index = leadingWhitespaceEnd(bytes, from: 0)
            while index < bytes.count {
                if maxSplits >= 0 && parts.count == maxSplits {
                    let end = trailingWhitespaceStart(bytes, in: index..<bytes.count)
                    parts.append(Array(bytes[index..<end]))
                    return parts
                }
                var end = index
                while end < bytes.count {
                    let (value, length) = scalar(in: bytes, at: end)
                    if isWhitespace(value) { break }
                    end += length
                }
                parts.append(Array(bytes[index..<end]))
                index = leadingWhitespaceEnd(bytes, from: end)
            }
            return parts
        }
        var start = 0
        while maxSplits < 0 || parts.count < maxSplits, let found = find(separator, in: bytes, from: start) {
            parts.append(Array(bytes[start..<found]))
            start = found + separator.count
        }
        parts.append(Array(bytes[start...]))
        return parts
    }

    static func replace(_ bytes: [UInt8], _ old: [UInt8], with new: [UInt8], count limit: Int) -> [UInt8] {
        var result: [UInt8] = []
        var replaced = 0
        if old.isEmpty {
            // Python inserts the replacement before every scalar and at the end.
            for range in scalarRanges(bytes) {
                if limit < 0 || replaced < limit { result += new; replaced += 1 }
                result += bytes[range]
            }
            if limit < 0 || replaced < limit { result += new }
            return result
        }
        var start = 0
        while limit < 0 || replaced < limit, let found = find(old, in: bytes, from: start) {
            result += bytes[start..<found]
            result += new
            start = found + old.count
            replaced += 1
        }
        result += bytes[start...]
        return result
    }
}

/// Lets a `switch` over UTF-8 bytes use string literals (`case "index":`) without
/// creating `String`s, whose comparison needs Unicode tables under Embedded Swift.
func ~= (pattern: StaticString, value: [UInt8]) -> Bool {
    guard pattern.utf8CodeUnitCount == value.count else { return false }
    return pattern.withUTF8Buffer { $0.elementsEqual(value) }
}
