/// A code point of the input with where its bytes are. Input text is UTF-8 bytes; a byte
/// that does not start a valid sequence becomes its own unit (U+FFFD), so any input can be
/// tokenized and its bytes are never lost.
struct CodePoint {
    let scalar: UInt32
    let start: Int
    let length: Int
    var end: Int { start + length }
}

/// The character classes the pre-tokenizer patterns use (\p{L}, \p{N}, \s, \p{P}, ...).
struct CharacterClass: OptionSet {
    let rawValue: UInt8
    static let letter = CharacterClass(rawValue: 1 << 0)
    static let number = CharacterClass(rawValue: 1 << 1)
    static let whitespace = CharacterClass(rawValue: 1 << 2)
    static let punctuation = CharacterClass(rawValue: 1 << 3)
    static let symbol = CharacterClass(rawValue: 1 << 4)
    static let mark = CharacterClass(rawValue: 1 << 5)
    /// Any other assigned or unassigned code point: still "something", unlike the end of text.
    static let other = CharacterClass(rawValue: 1 << 6)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ scalar: UInt32) {
        if scalar < 0x80 {
            self = CharacterClass.ascii[Int(scalar)]
            return
        }
        guard let s = Unicode.Scalar(scalar) else {
            self = .other
            return
        }
        var result: CharacterClass = s.properties.isWhitespace ? .whitespace : []
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            result.insert(.punctuation)
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            result.insert(.symbol)
        case .nonspacingMark, .spacingMark, .enclosingMark:
            result.insert(.mark)
        default:
            if result.isEmpty { result = .other }
        }
        self = result
    }

    private static let ascii: [CharacterClass] = (0..<128).map { c -> CharacterClass in
        switch c {
        case 0x09...0x0d, 0x20: return .whitespace
        case 0x30...0x39: return .number
        case 0x41...0x5a, 0x61...0x7a: return .letter
        case 0x24, 0x2b, 0x3c...0x3e, 0x5e, 0x60, 0x7c, 0x7e: return .symbol  // $ + < = > ^ ` | ~
        case 0x21...0x2f, 0x3a...0x40, 0x5b...0x60, 0x7b...0x7e: return .punctuation
        default: return .other
        }
    }
}

enum UTF8Scanner {
    /// Splits `bytes` into code points.
    static func codePoints(_ bytes: UnsafeRawBufferPointer) -> [CodePoint] {
        var result: [CodePoint] = []
        result.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let (scalar, length) = decode(bytes, at: i)
            result.append(CodePoint(scalar: scalar, start: i, length: length))
            i += length
        }
        return result
    }

    /// The code point at `i` and its length; an invalid sequence yields U+FFFD of length 1.
    static func decode(_ bytes: UnsafeRawBufferPointer, at i: Int) -> (UInt32, Int) {
        let lead = UInt32(bytes[i])
        let length: Int
        var scalar: UInt32
        switch lead {
        case 0..<0x80: return (lead, 1)
        case 0xc2..<0xe0: length = 2; scalar = lead & 0x1f
        case 0xe0..<0xf0: length = 3; scalar = lead & 0x0f
        case 0xf0..<0xf5: length = 4; scalar = lead & 0x07
        default: return (0xfffd, 1)
        }
        guard i + length <= bytes.count else { return (0xfffd, 1) }
        for k in 1..<length {
            let byte = UInt32(bytes[i + k])
            guard byte & 0xc0 == 0x80 else { return (0xfffd, 1) }
            scalar = scalar << 6 | (byte & 0x3f)
        }
        // Reject overlong forms and surrogates, which are not valid UTF-8.
        let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard scalar >= minimum, scalar <= 0x10ffff, !(0xd800...0xdfff).contains(scalar) else { return (0xfffd, 1) }
        return (scalar, length)
    }

    /// Length of the UTF-8 sequence a lead byte announces (1 for invalid leads), as
    /// llama.cpp's SentencePiece splitter counts characters.
    static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0xf0...: 4
        case 0xe0...: 3
        case 0xc0...: 2
        default: 1
        }
    }
}
