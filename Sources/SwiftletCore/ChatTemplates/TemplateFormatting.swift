/// Python's spellings of numbers, its case mapping and `strftime`, written out because the
/// Embedded core has neither Foundation nor the Unicode tables.
enum TemplateFormatting {
    // MARK: Numbers

    static func integer(_ value: Int) -> [UInt8] { Array(String(value).utf8) }

    /// Python's `repr(float)`: JSON's number (shortest round-trip digits, laid out the Python
    /// way) for finite values, `nan` and `inf` otherwise.
    static func float(_ value: Double) -> [UInt8] {
        if value.isNaN { return Array("nan".utf8) }
        if value.isInfinite { return Array((value < 0 ? "-inf" : "inf").utf8) }
        var result: [UInt8] = []
        JSONText.appendNumber(value, to: &result)
        return result
    }

    /// A decimal integer (optional sign, `_` separators as Python allows); nil on overflow.
    static func parseInteger(_ bytes: [UInt8]) -> Int? {
        let text = TemplateText.strip(bytes, characters: nil, leading: true, trailing: true)
        var index = 0
        var negative = false
        if index < text.count && (text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+")) {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < text.count else { return nil }
        var value = 0
        while index < text.count {
            let byte = text[index]
            index += 1
            if byte == UInt8(ascii: "_") { continue }
            guard byte >= 48 && byte <= 57 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(negative ? -Int(byte - 48) : Int(byte - 48))
            guard !o1 && !o2 else { return nil }
            value = sum
        }
        return value
    }

    /// A decimal float such as `1.5`, `-2e-3`, `.5`. Exact for up to 15 significant digits
    /// and moderate exponents (one correctly rounded multiply or divide); close otherwise.
    static func parseFloat(_ bytes: [UInt8]) -> Double? {
        let text = TemplateText.strip(bytes, characters: nil, leading: true, trailing: true)
        var index = 0
        var negative = false
        if index < text.count && (text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+")) {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0
        var scale = 0
        var sawDigit = false
        var afterPoint = false
        while index < text.count {
            let byte = text[index]
            if byte >= 48 && byte <= 57 {
                sawDigit = true
                if mantissa < 100_000_000_000_000_000 {
                    mantissa = mantissa * 10 + UInt64(byte - 48)
                    if afterPoint { scale -= 1 }
                } else if !afterPoint {
                    scale += 1
                }
            } else if byte == UInt8(ascii: ".") && !afterPoint {
                afterPoint = true
            } else if byte != UInt8(ascii: "_") {
                break
            }
            index += 1
        }
        guard sawDigit else { return nil }
        if index < text.count && (text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E")) {
            guard let exponent = parseInteger(Array(text[(index + 1)...])), exponent.magnitude < 10_000 else {
                return nil
            }
            scale += exponent
            index = text.count
        }
        guard index == text.count else { return nil }
        var value = Double(mantissa)
        var power = 1.0
        for _ in 0..<min(scale.magnitude, 400) { power *= 10 }
        value = scale < 0 ? value / power : value * power
        return negative ? -value : value
    }

    // MARK: Case

    /// Upper case of one scalar, for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic.
    /// Other scripts keep their case (documented limit: no Unicode tables in the core).
    static func upper(_ value: UInt32) -> UInt32 {
        switch value {
        case 0x61...0x7A: return value - 0x20
        case 0xE0...0xFE where value != 0xF7: return value - 0x20
        case 0xFF: return 0x178
        case 0xB5: return 0x39C
        case 0x100...0x137, 0x14A...0x177: return value & ~1
        case 0x139...0x148, 0x179...0x17E: return value & 1 == 0 ? value - 1 : value
        case 0x131: return 0x49
        case 0x17F: return 0x53
        case 0x3B1...0x3C9 where value != 0x3C2: return value - 0x20
        case 0x3C2: return 0x3A3
        case 0x3AC: return 0x386
        case 0x3AD...0x3AF: return value - 0x25
        case 0x3CC: return 0x38C
        case 0x3CD, 0x3CE: return value - 0x3F
        case 0x430...0x44F: return value - 0x20
        case 0x450...0x45F: return value - 0x50
        default: return value
        }
    }

    static func lower(_ value: UInt32) -> UInt32 {
        switch value {
        case 0x41...0x5A: return value + 0x20
        case 0xC0...0xDE where value != 0xD7: return value + 0x20
        case 0x178: return 0xFF
        case 0x100...0x137, 0x14A...0x177: return value | 1
        case 0x139...0x148, 0x179...0x17E: return value & 1 == 1 ? value + 1 : value
        case 0x391...0x3A9 where value != 0x3A2: return value + 0x20
        case 0x386: return 0x3AC
        case 0x388...0x38A: return value + 0x25
        case 0x38C: return 0x3CC
        case 0x38E, 0x38F: return value + 0x3F
        case 0x410...0x42F: return value + 0x20
        case 0x400...0x40F: return value + 0x50
        default: return value
        }
    }

    static func isLetterWithCase(_ value: UInt32) -> Bool { upper(value) != value || lower(value) != value }

    /// Maps every scalar; `upperAt` says which positions go to upper case (others to lower).
    static func mapCase(_ bytes: [UInt8], upperAt: (Int, UInt32, UInt32?) -> Bool) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var previous: UInt32? = nil
        var position = 0
        var index = 0
        while index < bytes.count {
            let (value, length) = TemplateText.scalar(in: bytes, at: index)
            if upperAt(position, value, previous) {
                if value == 0xDF { result += [0x53, 0x53] } else { TemplateText.append(scalar: upper(value), to: &result) }
            } else {
                TemplateText.append(scalar: lower(value), to: &result)
            }
            previous = value
            position += 1
            index += length
        }
        return result
    }

    static func uppercased(_ bytes: [UInt8]) -> [UInt8] { mapCase(bytes) { _, _, _ in true } }
    static func lowercased(_ bytes: [UInt8]) -> [UInt8] { mapCase(bytes) { _, _, _ in false } }
    /// Python's `str.capitalize()`: first scalar upper, the rest lower.
    static func capitalized(_ bytes: [UInt8]) -> [UInt8] { mapCase(bytes) { position, _, _ in position == 0 } }

    /// Jinja's `title` filter: upper after the start or after any of `-`, whitespace, `(`,
    /// `{`, `[`, `<`; lower elsewhere.
    static func titled(_ bytes: [UInt8]) -> [UInt8] {
        mapCase(bytes) { _, _, previous in
            guard let previous else { return true }
            return TemplateText.isWhitespace(previous)
                || previous == 0x2D || previous == 0x28 || previous == 0x7B || previous == 0x5B || previous == 0x3C
        }
    }

    // MARK: Dates

    /// `strftime` for the one date templates see: the core has no clock, so `strftime_now`
    /// reports a fixed day, Thursday 26 November 2026, 00:00:00. Unknown directives are kept.
    static let fixedDate = (year: 2026, month: 11, day: 26, weekday: 3, dayOfYear: 330)

    static func strftime(_ format: [UInt8]) -> [UInt8] {
        let months = ["January", "February", "March", "April", "May", "June", "July", "August",
                      "September", "October", "November", "December"]
        let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        let date = fixedDate
        func padded(_ value: Int, _ width: Int, _ pad: Bool) -> [UInt8] {
            var digits = integer(value)
            while pad && digits.count < width { digits.insert(UInt8(ascii: "0"), at: 0) }
            return digits
        }
        var result: [UInt8] = []
        var index = 0
        while index < format.count {
            let byte = format[index]
            guard byte == UInt8(ascii: "%"), index + 1 < format.count else {
                result.append(byte); index += 1; continue
            }
            var directiveIndex = index + 1
            let pad = format[directiveIndex] != UInt8(ascii: "-")
            if !pad { directiveIndex += 1 }
            guard directiveIndex < format.count else { result += format[index...]; break }
            let month = months[date.month - 1], weekday = weekdays[date.weekday]
            switch format[directiveIndex] {
            case UInt8(ascii: "d"): result += padded(date.day, 2, pad)
            case UInt8(ascii: "e"): result += padded(date.day, 2, false)
            case UInt8(ascii: "m"): result += padded(date.month, 2, pad)
            case UInt8(ascii: "Y"): result += integer(date.year)
            case UInt8(ascii: "y"): result += padded(date.year % 100, 2, pad)
            case UInt8(ascii: "b"), UInt8(ascii: "h"): result += Array(month.utf8.prefix(3))
            case UInt8(ascii: "B"): result += Array(month.utf8)
            case UInt8(ascii: "a"): result += Array(weekday.utf8.prefix(3))
            case UInt8(ascii: "A"): result += Array(weekday.utf8)
            case UInt8(ascii: "j"): result += padded(date.dayOfYear, 3, pad)
            case UInt8(ascii: "u"): result += integer(date.weekday + 1)
            case UInt8(ascii: "w"): result += integer((date.weekday + 1) % 7)
            case UInt8(ascii: "H"), UInt8(ascii: "M"), UInt8(ascii: "S"): result += padded(0, 2, pad)
            case UInt8(ascii: "I"): result += integer(12)
            case UInt8(ascii: "p"): result += Array("AM".utf8)
            case UInt8(ascii: "F"): result += Array("2026-11-26".utf8)
            case UInt8(ascii: "D"), UInt8(ascii: "x"): result += Array("11/26/26".utf8)
            case UInt8(ascii: "T"), UInt8(ascii: "X"): result += Array("00:00:00".utf8)
            case UInt8(ascii: "c"): result += Array("Thu Nov 26 00:00:00 2026".utf8)
            case UInt8(ascii: "Z"), UInt8(ascii: "z"): break
            case UInt8(ascii: "%"): result.append(UInt8(ascii: "%"))
            default: result += format[index...directiveIndex]
            }
            index = directiveIndex + 1
        }
        return result
    }
}
