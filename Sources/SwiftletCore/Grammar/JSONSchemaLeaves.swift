// The grammar of a schema's leaves: GBNF literals and classes, and integer and number ranges
// as digit patterns (string `pattern`s: SchemaPattern.swift). JSONSchemaGrammar.swift
// assembles them.

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
