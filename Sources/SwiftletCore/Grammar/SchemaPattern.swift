/// A string `pattern` (the ECMAScript regex subset schemas use) as GBNF for the text
/// between a JSON string's quotes. It generates whole matches: `^` and `$` are implied.
/// Classes, `.` and negations never produce `"`, `\` or control characters, so the text
/// needs no escapes; a literal `"` or `\n` in the pattern is written as its JSON escape.
struct SchemaPatternParser {
    /// What a parsed piece of the pattern became.
    struct Fragment {
        enum Shape { case empty, element, sequence, alternation }
        var text: [UInt8]
        var shape: Shape
        var canBeEmpty: Bool
        /// The JSON text of a plain literal, so neighbouring characters merge into one.
        var literal: [UInt8]? = nil

        static let empty = Fragment(text: [], shape: .empty, canBeEmpty: true)

        /// The fragment as one element, for a quantifier or a sequence.
        var element: [UInt8] {
            switch shape {
            case .empty, .element: return text
            case .sequence, .alternation: return Array("( ".utf8) + text + Array(" )".utf8)
            }
        }
    }

    /// A class escape: one scalar, or ranges such as `\d`, negated for `\D`.
    private enum Escape {
        case scalar(UInt32)
        case ranges([ClosedRange<UInt32>], negated: Bool)
    }

    private let scalars: [UInt32]
    private var index = 0
    private var depth = 0
    static let maxGroupDepth = 64
    private let pattern: [UInt8]

    init(pattern: [UInt8]) {
        self.pattern = pattern
        var decoded: [UInt32] = []
        for scalar in String(decoding: pattern, as: UTF8.self).unicodeScalars { decoded.append(scalar.value) }
        scalars = decoded
    }

    /// The GBNF for the whole pattern.
    mutating func parse() throws(SchemaPatternFailure) -> Fragment {
        let fragment = try parseAlternation()
        guard index == scalars.count else { throw failure("unmatched ')'") }
        return fragment
    }

    private func failure(_ message: String) -> SchemaPatternFailure {
        SchemaPatternFailure(message: "pattern \"\(String(decoding: pattern, as: UTF8.self))\": \(message)")
    }

    private func peek(_ scalar: Unicode.Scalar, offset: Int = 0) -> Bool {
        index + offset < scalars.count && scalars[index + offset] == scalar.value
    }

    private mutating func parseAlternation() throws(SchemaPatternFailure) -> Fragment {
        var branches = [try parseSequence()]
        while peek("|") {
            index += 1
            branches.append(try parseSequence())
        }
        if branches.count == 1 { return branches[0] }
        let text = SchemaGBNF.joined(branches.map { $0.shape == .alternation ? $0.element : $0.text }, " | ")
        return Fragment(text: text, shape: .alternation, canBeEmpty: branches.contains { $0.canBeEmpty })
    }

    private mutating func parseSequence() throws(SchemaPatternFailure) -> Fragment {
        var parts: [Fragment] = []
        while index < scalars.count && !peek("|") && !peek(")") {
            if peek("^") {
                guard depth == 0 && parts.isEmpty else { throw failure("'^' is supported only at the start") }
                index += 1
                continue
            }
            if peek("$") {
                guard depth == 0 && (index + 1 == scalars.count || peek("|", offset: 1)) else {
                    throw failure("'$' is supported only at the end")
                }
                index += 1
                continue
            }
            let atom = try parseQuantifier(on: try parseAtom())
            guard atom.shape != .empty else { continue }
            // Neighbouring plain characters become one literal.
            if let literal = atom.literal, let previous = parts.last?.literal {
                let merged = previous + literal
                parts[parts.count - 1] = Fragment(text: SchemaGBNF.literal(merged), shape: .element, canBeEmpty: false, literal: merged)
            } else {
                parts.append(atom)
            }
        }
        if parts.isEmpty { return .empty }
        if parts.count == 1 { return parts[0] }
        return Fragment(text: SchemaGBNF.joined(parts.map { $0.shape == .alternation ? $0.element : $0.text }, " "),
                        shape: .sequence, canBeEmpty: parts.allSatisfy { $0.canBeEmpty })
    }

    private mutating func parseAtom() throws(SchemaPatternFailure) -> Fragment {
        let scalar = scalars[index]
        switch scalar {
        case 0x28:  // (
            index += 1
            if peek("?") {
                guard peek(":", offset: 1) else { throw failure("lookaround and named groups are not supported") }
                index += 2
            }
            // A bound on the recursion: each group is a frame of this parser's.
            guard depth < Self.maxGroupDepth else { throw failure("groups nested deeper than \(Self.maxGroupDepth)") }
            depth += 1
            let inner = try parseAlternation()
            depth -= 1
            guard peek(")") else { throw failure("unclosed '('") }
            index += 1
            return inner
        case 0x5B:  // [
            return try parseClass()
        case 0x2E:  // .
            index += 1
            return Fragment(text: SchemaGBNF.unescapedCharacter, shape: .element, canBeEmpty: false)
        case 0x5C:  // backslash
            index += 1
            switch try parseEscape(inClass: false) {
            case let .scalar(value): return literal(value)
            case let .ranges(ranges, negated): return try classFragment(ranges, negated: negated)
            }
        case 0x2A, 0x2B, 0x3F: throw failure("nothing to repeat")
        case 0x7B: throw failure("'{' must be escaped unless it is a repetition")
        default:
            index += 1
            return literal(scalar)
        }
    }

    private func literal(_ scalar: UInt32) -> Fragment {
        let text = SchemaGBNF.jsonStringText(of: scalar)
        return Fragment(text: SchemaGBNF.literal(text), shape: .element, canBeEmpty: false, literal: text)
    }

    private mutating func parseQuantifier(on atom: Fragment) throws(SchemaPatternFailure) -> Fragment {
        guard index < scalars.count else { return atom }
        var minimum = 1
        var maximum: Int? = 1
        switch scalars[index] {
        case 0x2A: minimum = 0; maximum = nil; index += 1
        case 0x2B: minimum = 1; maximum = nil; index += 1
        case 0x3F: minimum = 0; maximum = 1; index += 1
        case 0x7B:
            index += 1
            minimum = try parseCount()
            maximum = minimum
            if peek(",") {
                index += 1
                if peek("}") { maximum = nil } else { maximum = try parseCount() }
            }
            guard peek("}") else { throw failure("malformed repetition {m,n}") }
            index += 1
            if let maximum, maximum < minimum { throw failure("repetition {\(minimum),\(maximum)} is out of order") }
        default: return atom
        }
        if peek("?") { index += 1 }  // lazy: the same whole matches
        if peek("+") { throw failure("possessive quantifiers are not supported") }
        if maximum == nil && atom.canBeEmpty && atom.shape != .empty {
            throw failure("an unbounded repetition of something that can match nothing")
        }
        if atom.shape == .empty || maximum == 0 { return .empty }
        if minimum == 1 && maximum == 1 { return atom }
        // Not an element: quantifying it again, as in `(x{3})?`, needs parentheses.
        return Fragment(text: SchemaGBNF.repeated(atom.element, minimum: minimum, maximum: maximum), shape: .sequence,
                        canBeEmpty: minimum == 0 || atom.canBeEmpty)
    }

    private mutating func parseCount() throws(SchemaPatternFailure) -> Int {
        var count = 0
        var sawDigit = false
        while index < scalars.count && scalars[index] >= 0x30 && scalars[index] <= 0x39 {
            count = count * 10 + Int(scalars[index] - 0x30)
            guard count <= GrammarParser.maxRepetition else {
                throw failure("repetition counts above \(GrammarParser.maxRepetition) are not supported")
            }
            sawDigit = true
            index += 1
        }
        guard sawDigit else { throw failure("malformed repetition {m,n}") }
        return count
    }

    /// After the backslash.
    private mutating func parseEscape(inClass: Bool) throws(SchemaPatternFailure) -> Escape {
        guard index < scalars.count else { throw failure("ends with '\\'") }
        let scalar = scalars[index]
        index += 1
        let digits: [ClosedRange<UInt32>] = [0x30...0x39]
        let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
        switch scalar {
        // \s is the space alone: tabs and newlines would need escapes in the JSON text.
        case 0x64: return .ranges(digits, negated: false)          // d
        case 0x44: return .ranges(digits, negated: true)           // D
        case 0x77: return .ranges(word, negated: false)            // w
        case 0x57: return .ranges(word, negated: true)             // W
        case 0x73: return .ranges([0x20...0x20], negated: false)   // s
        case 0x53: return .ranges([0x20...0x20], negated: true)    // S
        case 0x6E: return .scalar(0x0A)                            // n
        case 0x72: return .scalar(0x0D)                            // r
        case 0x74: return .scalar(0x09)                            // t
        case 0x66: return .scalar(0x0C)                            // f
        case 0x76: return .scalar(0x0B)                            // v
        case 0x30: return .scalar(0)                               // 0
        case 0x62 where inClass: return .scalar(0x08)              // b (backspace in a class)
        case 0x62, 0x42: throw failure("word boundaries (\\b, \\B) are not supported")
        case 0x31...0x39, 0x6B: throw failure("backreferences are not supported")
        case 0x70, 0x50: throw failure("Unicode property escapes (\\p) are not supported")
        case 0x78: return .scalar(try parseHex(count: 2))          // x
        case 0x75:                                                 // u
            if peek("{") {
                index += 1
                var value: UInt32 = 0
                while !peek("}") {
                    value = value << 4 | (try parseHex(count: 1))
                    guard value < 0x110000 else { throw failure("\\u{...} is not a Unicode scalar") }
                }
                index += 1
                return .scalar(value)
            }
            return .scalar(try parseHex(count: 4))
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A:
            throw failure("unsupported escape \\\(String(decoding: [UInt8(scalar)], as: UTF8.self))")
        default: return .scalar(scalar)  // escaped punctuation stands for itself
        }
    }

    private mutating func parseHex(count: Int) throws(SchemaPatternFailure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard index < scalars.count else { throw failure("truncated hex escape") }
            let scalar = scalars[index]
            let digit: UInt32
            switch scalar {
            case 0x30...0x39: digit = scalar - 0x30
            case 0x41...0x46: digit = scalar - 0x37
            case 0x61...0x66: digit = scalar - 0x57
            default: throw failure("malformed hex escape")
            }
            value = value << 4 | digit
            index += 1
        }
        if value >= 0xD800 && value < 0xE000 { throw failure("surrogate escapes are not supported") }
        return value
    }

    private mutating func parseClass() throws(SchemaPatternFailure) -> Fragment {
        index += 1
        let negated = peek("^")
        if negated { index += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard index < scalars.count else { throw failure("unclosed '['") }
            if peek("]") { index += 1; break }
            let low: UInt32
            if peek("\\") {
                index += 1
                switch try parseEscape(inClass: true) {
                case let .scalar(value): low = value
                case let .ranges(escaped, negated: false): ranges += escaped; continue
                case .ranges: throw failure("\\D, \\W and \\S inside [...] are not supported")
                }
            } else {
                low = scalars[index]
                index += 1
            }
            guard peek("-") && index + 1 < scalars.count && !peek("]", offset: 1) else {
                ranges.append(low...low)
                continue
            }
            index += 1
            var high = scalars[index]
            index += 1
            if high == 0x5C {
                guard case let .scalar(value) = try parseEscape(inClass: true) else { throw failure("a class escape cannot end a range") }
                high = value
            }
            guard low <= high else { throw failure("range out of order in [...]") }
            ranges.append(low...high)
        }
        guard !ranges.isEmpty else { throw failure("empty class []") }
        return try classFragment(ranges, negated: negated)
    }

    /// A class as GBNF. A negated class also leaves out what JSON must escape; a positive
    /// one keeps a `"`, `\` or control character it names, as that character's escape.
    private func classFragment(_ ranges: [ClosedRange<UInt32>], negated: Bool) throws(SchemaPatternFailure) -> Fragment {
        let merged = Self.merged(ranges)
        if negated {
            var text = Array("[^".utf8)
            for range in merged { text += Self.classItem(range) }
            text += Array(#""\\\x00-\x1F]"#.utf8)
            return Fragment(text: text, shape: .element, canBeEmpty: false)
        }
        var plain: [ClosedRange<UInt32>] = []
        var escaped: [UInt32] = []
        for range in merged {
            var start = range.lowerBound
            for special in [UInt32](0..<0x20) + [0x22, 0x5C] where range.contains(special) {
                if start < special { plain.append(start...(special - 1)) }
                escaped.append(special)
                start = special + 1
            }
            if start <= range.upperBound { plain.append(start...range.upperBound) }
        }
        var alternatives: [[UInt8]] = []
        if !plain.isEmpty {
            var text = [UInt8(ascii: "[")]
            for range in plain { text += Self.classItem(range) }
            alternatives.append(text + [UInt8(ascii: "]")])
        }
        for special in escaped { alternatives.append(SchemaGBNF.literal(SchemaGBNF.jsonStringText(of: special))) }
        return Fragment(text: SchemaGBNF.group(alternatives), shape: .element, canBeEmpty: false)
    }

    private static func classItem(_ range: ClosedRange<UInt32>) -> [UInt8] {
        if range.lowerBound == range.upperBound { return SchemaGBNF.classMember(range.lowerBound) }
        return SchemaGBNF.classMember(range.lowerBound) + [UInt8(ascii: "-")] + SchemaGBNF.classMember(range.upperBound)
    }

    private static func merged(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}

/// Why a pattern cannot become grammar; the converter adds the schema path.
struct SchemaPatternFailure: Error {
    var message: String
}
