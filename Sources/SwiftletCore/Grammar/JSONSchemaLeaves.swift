// The grammar of a schema's leaves: GBNF literals and classes, integer and number ranges as
// digit patterns, and string `pattern`s as grammar. JSONSchemaGrammar.swift assembles them.

// MARK: - GBNF text

/// How a byte string or a Unicode scalar is spelled inside GBNF `"..."` and `[...]`.
enum SchemaGBNF {
    /// `bytes` (UTF-8) as a GBNF string literal; non-ASCII is written as is.
    static func literal<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): output += [0x5C, UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [0x5C, 0x5C]
            case 0x0A: output += [0x5C, UInt8(ascii: "n")]
            case 0x0D: output += [0x5C, UInt8(ascii: "r")]
            case 0x09: output += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20, 0x7F: output += [0x5C, UInt8(ascii: "x")] + hex(UInt32(byte), digits: 2)
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    /// One scalar inside a character class: letters and digits as they are, everything
    /// else escaped so that `]`, `-`, `^` and `\` never read as syntax.
    static func classMember(_ scalar: UInt32) -> [UInt8] {
        switch scalar {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x20, 0x5F: return [UInt8(scalar)]
        case 0..<0x80: return [0x5C, UInt8(ascii: "x")] + hex(scalar, digits: 2)
        case 0x80..<0x10000: return [0x5C, UInt8(ascii: "u")] + hex(scalar, digits: 4)
        default: return [0x5C, UInt8(ascii: "U")] + hex(scalar, digits: 8)
        }
    }

    static func hex(_ value: UInt32, digits: Int) -> [UInt8] {
        var output: [UInt8] = []
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            let digit = UInt8((value >> UInt32(shift)) & 0xF)
            output.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "A") + digit - 10)
        }
        return output
    }

    /// Alternatives as one sequence element: bare when there is one, else in parentheses.
    static func group(_ alternatives: [[UInt8]]) -> [UInt8] {
        if alternatives.count == 1 { return alternatives[0] }
        return Array("( ".utf8) + joined(alternatives, " | ") + Array(" )".utf8)
    }

    static func joined(_ parts: [[UInt8]], _ separator: String) -> [UInt8] {
        var output: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if index > 0 { output += Array(separator.utf8) }
            output += part
        }
        return output
    }

    /// Elements written one after another, empty ones left out.
    static func sequence(_ parts: [UInt8]...) -> [UInt8] {
        joined(parts.filter { !$0.isEmpty }, " ")
    }

    /// `element` repeated `minimum` to `maximum` times (nil: unbounded), in the shortest
    /// postfix form; `element` must be a single element (a name, literal, class or group).
    static func repeated(_ element: [UInt8], minimum: Int, maximum: Int?) -> [UInt8] {
        switch (minimum, maximum) {
        case (_, 0?): return []
        case (1, 1?): return element
        case (0, nil): return element + [UInt8(ascii: "*")]
        case (1, nil): return element + [UInt8(ascii: "+")]
        case (0, 1?): return element + [UInt8(ascii: "?")]
        case let (low, high?) where low == high: return element + Array("{\(low)}".utf8)
        case let (low, high?): return element + Array("{\(low),\(high)}".utf8)
        case let (low, nil): return element + Array("{\(low),}".utf8)
        }
    }

    /// Whether `text` has a `|` outside literals, classes and parentheses: such a body must
    /// be grouped before it can be one element of a sequence.
    static func hasTopLevelAlternation(_ text: [UInt8]) -> Bool {
        var depth = 0
        var index = 0
        while index < text.count {
            switch text[index] {
            case UInt8(ascii: "\""), UInt8(ascii: "["):
                let close = text[index] == UInt8(ascii: "\"") ? UInt8(ascii: "\"") : UInt8(ascii: "]")
                index += 1
                while index < text.count && text[index] != close {
                    index += text[index] == 0x5C ? 2 : 1
                }
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"): depth -= 1
            case UInt8(ascii: "|") where depth == 0: return true
            default: break
            }
            index += 1
        }
        return false
    }

    /// The JSON string text that stands for one scalar of a string's value: `"`, `\` and
    /// control characters as their escapes, everything else as UTF-8.
    static func jsonStringText(of scalar: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONDocumentParser.appendUTF8(scalar, to: &bytes)
        guard scalar < 0x20 || scalar == 0x22 || scalar == 0x5C else { return bytes }
        let quoted = JSONText.quoted(bytes)
        return Array(quoted[1..<(quoted.count - 1)])
    }

    /// A scalar JSON writes without an escape, so a class or `.` may produce it.
    static let unescapedCharacter = Array(#"[^"\\\x00-\x1F]"#.utf8)
}

// MARK: - Numbers

/// A numeric bound as written in the schema, read exactly from its text: the magnitude's
/// integer part and whether a fraction is left over.
struct SchemaDecimal {
    var negative: Bool
    var integerPart: UInt64
    var hasFraction: Bool

    /// nil when `spelling` is not a JSON number or its integer part does not fit 64 bits.
    init?(_ spelling: [UInt8]) {
        var reader = JSONDocumentParser(text: spelling)
        guard case .number? = try? reader.parseValue(depth: 0), reader.offset == spelling.count else { return nil }
        var index = 0
        negative = spelling.first == UInt8(ascii: "-")
        if negative { index = 1 }
        var digits: [UInt8] = []
        var pointPosition: Int? = nil
        while index < spelling.count && spelling[index] != UInt8(ascii: "e") && spelling[index] != UInt8(ascii: "E") {
            if spelling[index] == UInt8(ascii: ".") { pointPosition = digits.count } else { digits.append(spelling[index] - 48) }
            index += 1
        }
        var exponent = 0
        if index < spelling.count {
            index += 1
            let exponentNegative = spelling[index] == UInt8(ascii: "-")
            if spelling[index] == UInt8(ascii: "-") || spelling[index] == UInt8(ascii: "+") { index += 1 }
            while index < spelling.count {
                if exponent < 10_000 { exponent = exponent * 10 + Int(spelling[index] - 48) }
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        // value = 0.d1d2… shifted: the first `point` digits are the integer part.
        let point = (pointPosition ?? digits.count) + exponent
        var integer: UInt64 = 0
        var fraction = false
        for (position, digit) in digits.enumerated() {
            if position < point {
                let (times, overflowA) = integer.multipliedReportingOverflow(by: 10)
                let (sum, overflowB) = times.addingReportingOverflow(UInt64(digit))
                guard !overflowA && !overflowB else { return nil }
                integer = sum
            } else if digit != 0 {
                fraction = true
            }
        }
        if point > digits.count && integer != 0 {
            for _ in 0..<(point - digits.count) {
                let (times, overflow) = integer.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                integer = times
            }
        }
        integerPart = integer
        hasFraction = fraction
        if integer == 0 && !fraction { negative = false }
    }

    /// The value as a signed integer when it has no fraction and fits.
    var exactInteger: Int64? {
        guard !hasFraction else { return nil }
        if negative { return integerPart <= Int64.min.magnitude ? Int64(truncatingIfNeeded: 0 &- integerPart) : nil }
        return integerPart <= UInt64(Int64.max) ? Int64(integerPart) : nil
    }

    /// ⌈value⌉ and ⌊value⌋, nil when they do not fit.
    var ceiling: Int64? { Self.signed(negative, integerPart &+ (!negative && hasFraction ? 1 : 0)) }
    var floor: Int64? { Self.signed(negative, integerPart &+ (negative && hasFraction ? 1 : 0)) }

    private static func signed(_ negative: Bool, _ magnitude: UInt64) -> Int64? {
        if negative { return magnitude <= Int64.min.magnitude ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }
}

/// One end of a number's range: a whole number, included or not.
struct SchemaBound {
    var value: Int64
    var exclusive: Bool
}

/// Integers and numbers between bounds, as digit patterns: no exponents, at most 16
/// digits where a side is unbounded, and exact at every bound.
enum SchemaNumberGrammar {
    /// The largest magnitude written where a range has no upper end (16 digits), unless
    /// its lower end is larger.
    static let unboundedMagnitude: UInt64 = 9_999_999_999_999_999

    /// Integers in `low...high` (nil: unbounded); `low <= high`.
    static func integers(low: Int64?, high: Int64?) -> [UInt8] {
        var alternatives: [[UInt8]] = []
        if high.map({ $0 >= 0 }) ?? true {
            alternatives += magnitudes(from: max(low ?? 0, 0).magnitude, through: high?.magnitude)
        }
        if low.map({ $0 < 0 }) ?? true {
            let smallest: UInt64 = high.map { $0 < 0 ? $0.magnitude : 1 } ?? 1
            let digits = magnitudes(from: smallest, through: low?.magnitude)
            alternatives.append(SchemaGBNF.sequence(SchemaGBNF.literal("-".utf8), SchemaGBNF.group(digits)))
        }
        return SchemaGBNF.joined(alternatives, " | ")
    }

    /// Numbers between whole-number bounds, with up to 16 fraction digits; nil when no
    /// number lies between them.
    static func numbers(lower: SchemaBound?, upper: SchemaBound?) -> [UInt8]? {
        var alternatives: [[UInt8]] = []
        let upperAllowsNonNegative = upper.map { $0.value > 0 || ($0.value == 0 && !$0.exclusive) } ?? true
        if upperAllowsNonNegative {
            let start = lower.map { $0.value < 0 ? (UInt64(0), false) : ($0.value.magnitude, $0.exclusive) } ?? (0, false)
            alternatives += realMagnitudes(lower: start, upper: upper.map { ($0.value.magnitude, $0.exclusive) })
        }
        // Negative numbers, magnitude above zero (zero itself is written unsigned).
        if lower.map({ $0.value < 0 }) ?? true {
            let start = upper.map { $0.value < 0 ? ($0.value.magnitude, $0.exclusive) : (0, true) } ?? (0, true)
            let digits = realMagnitudes(lower: start, upper: lower.map { ($0.value.magnitude, $0.exclusive) })
            if !digits.isEmpty {
                alternatives.append(SchemaGBNF.sequence(SchemaGBNF.literal("-".utf8), SchemaGBNF.group(digits)))
            }
        }
        return alternatives.isEmpty ? nil : SchemaGBNF.joined(alternatives, " | ")
    }

    /// Unsigned decimals `i(.f)?` between `lower` and `upper` (whole numbers, each included
    /// or not), split on the integer part: whole parts strictly inside take any fraction,
    /// an excluded lower end takes a nonzero fraction, an included upper end only zeros.
    private static func realMagnitudes(lower: (UInt64, Bool), upper: (UInt64, Bool)?) -> [[UInt8]] {
        let anyFraction = Array(#"( "." [0-9]{1,16} )?"#.utf8)
        let zeroFraction = Array(#"( "." "0"{1,16} )?"#.utf8)
        let nonzeroFraction = Array(#""." "0"{0,15} [1-9] [0-9]{0,15}"#.utf8)
        let (low, lowExcluded) = lower
        var alternatives: [[UInt8]] = []
        let firstWhole = lowExcluded ? low + 1 : low
        if case let (high, _)? = upper {
            if high >= 1 && firstWhole <= high - 1 {
                alternatives.append(SchemaGBNF.sequence(SchemaGBNF.group(magnitudes(from: firstWhole, through: high - 1)), anyFraction))
            }
        } else {
            alternatives.append(SchemaGBNF.sequence(SchemaGBNF.group(magnitudes(from: firstWhole, through: nil)), anyFraction))
        }
        if lowExcluded && (upper.map { low < $0.0 } ?? true) {
            alternatives.append(SchemaGBNF.sequence(SchemaGBNF.literal(String(low).utf8), nonzeroFraction))
        }
        if case let (high, highExcluded)? = upper, !highExcluded, lowExcluded ? high > low : high >= low {
            alternatives.append(SchemaGBNF.sequence(SchemaGBNF.literal(String(high).utf8), zeroFraction))
        }
        return alternatives
    }

    /// Decimal digits (no leading zeros) of the integers in `low...high`, as alternatives:
    /// one digit-range pattern per length, whole lengths merged into one repetition.
    static func magnitudes(from low: UInt64, through high: UInt64?) -> [[UInt8]] {
        // Unbounded above: 16 digits, or up to the 64-bit limit for a lower end past that.
        let top = high ?? (low <= unboundedMagnitude ? unboundedMagnitude : max(low, UInt64(Int64.max)))
        guard low <= top else { return [] }
        let topLength = digitCount(top)
        var alternatives: [[UInt8]] = []
        var length = digitCount(low)
        while length <= topLength {
            let first = length == 1 ? 0 : power10(length - 1)
            let last = length >= 20 ? UInt64.max : power10(length) - 1
            let from = max(low, first)
            let through = min(top, last)
            if length >= 2 && from == first && through == last {
                var end = length
                while end < topLength && end + 1 < 20 && top >= power10(end + 1) - 1 { end += 1 }
                let tail = end == length ? "{\(length - 1)}" : "{\(length - 1),\(end - 1)}"
                alternatives.append(Array("[1-9] [0-9]\(length == 2 && end == 2 ? "" : tail)".utf8))
                length = end + 1
                continue
            }
            alternatives += sameLength(digits(from), digits(through))
            length += 1
        }
        return alternatives
    }

    /// Strings of `low.count` digits between `low` and `high`, as alternatives: the common
    /// prefix, then the low digit's tail up to 9s, the digits strictly between with any
    /// tail, and the high digit's tail from 0s.
    private static func sameLength(_ low: [UInt8], _ high: [UInt8]) -> [[UInt8]] {
        var prefixLength = 0
        while prefixLength < low.count && low[prefixLength] == high[prefixLength] { prefixLength += 1 }
        let prefix = prefixLength > 0 ? SchemaGBNF.literal(low[..<prefixLength]) : []
        if prefixLength == low.count { return [prefix] }
        let lowTail = Array(low[(prefixLength + 1)...])
        let highTail = Array(high[(prefixLength + 1)...])
        let lowDigit = low[prefixLength]
        let highDigit = high[prefixLength]
        var alternatives: [[UInt8]] = []
        var middleFrom = lowDigit
        var middleThrough = highDigit
        if lowTail.contains(where: { $0 != UInt8(ascii: "0") }) {
            let nines = [UInt8](repeating: UInt8(ascii: "9"), count: lowTail.count)
            alternatives.append(SchemaGBNF.sequence(SchemaGBNF.literal([lowDigit]), SchemaGBNF.group(sameLength(lowTail, nines))))
            middleFrom += 1
        }
        var upperAlternative: [UInt8]? = nil
        if highTail.contains(where: { $0 != UInt8(ascii: "9") }) {
            let zeros = [UInt8](repeating: UInt8(ascii: "0"), count: highTail.count)
            upperAlternative = SchemaGBNF.sequence(SchemaGBNF.literal([highDigit]), SchemaGBNF.group(sameLength(zeros, highTail)))
            middleThrough -= 1
        }
        if middleFrom <= middleThrough {
            let digit = middleFrom == middleThrough
                ? SchemaGBNF.literal([middleFrom]) : [UInt8(ascii: "["), middleFrom, UInt8(ascii: "-"), middleThrough, UInt8(ascii: "]")]
            let rest = highTail.count
            let anyTail = rest == 0 ? [] : Array((rest == 1 ? "[0-9]" : "[0-9]{\(rest)}").utf8)
            alternatives.append(SchemaGBNF.sequence(digit, anyTail))
        }
        if let upperAlternative { alternatives.append(upperAlternative) }
        if prefix.isEmpty { return alternatives }
        return [SchemaGBNF.sequence(prefix, SchemaGBNF.group(alternatives))]
    }

    private static func digits(_ value: UInt64) -> [UInt8] { Array(String(value).utf8) }

    private static func digitCount(_ value: UInt64) -> Int { String(value).utf8.count }

    private static func power10(_ exponent: Int) -> UInt64 {
        var result: UInt64 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }
}

// MARK: - Patterns

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
        return Fragment(text: SchemaGBNF.repeated(atom.element, minimum: minimum, maximum: maximum), shape: .element,
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
