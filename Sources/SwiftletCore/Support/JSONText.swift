/// The one definition of how Swiftlet writes a JSON string and a JSON number, as UTF-8 bytes
/// (no Foundation), shared by the chat templates' `tojson`, the native shell's `JSON` (the
/// CLI's `--json`, the server) and the wasm shell's descriptions for JavaScript. It follows
/// Python's `json.dumps`, which is what Hugging Face's `tojson` is, so one writer serves all.
public enum JSONText {
    /// `text` (UTF-8) as a JSON string literal, non-ASCII kept as is.
    public static func quoted(_ text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        appendString(text, to: &output)
        return output
    }

    /// Appends `text` (UTF-8) as a JSON string literal: `"` and `\` escaped, control
    /// characters as `\n` `\r` `\t` `\b` `\f` or `\u00xx`, non-ASCII kept as is unless
    /// `escapingNonASCII` (Python's `ensure_ascii`), which writes DEL and everything above
    /// ASCII as `\uxxxx`, with a surrogate pair above U+FFFF.
    public static func appendString<Text: Collection<UInt8>>(_ text: Text, escapingNonASCII: Bool = false,
                                                              to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        if escapingNonASCII {
            for scalar in String(decoding: text, as: UTF8.self).unicodeScalars {
                let value = scalar.value
                if value < 0x7F {
                    appendEscaped(UInt8(value), to: &output)
                } else if value < 0x10000 {
                    appendUnicodeEscape(value, to: &output)
                } else {
                    appendUnicodeEscape(0xD800 + ((value - 0x10000) >> 10), to: &output)
                    appendUnicodeEscape(0xDC00 + ((value - 0x10000) & 0x3FF), to: &output)
                }
            }
        } else {
            for byte in text { appendEscaped(byte, to: &output) }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Appends `value` as a JSON number: the shortest digits that read back as the same
    /// double, positional for decimal exponents -4 through 15 and `1e+16` style beyond
    /// (Python's `repr`). JSON has no NaN or infinity, so those are written as `null`.
    public static func appendNumber(_ value: Double, to output: inout [UInt8]) {
        guard value.isFinite else { output += Array("null".utf8); return }
        // Swift's description is "-?digits(.digits)?(e[+-]digits)?" with the shortest
        // round-trip digits; only the layout is Python's.
        var digits: [UInt8] = []
        var pointPosition: Int? = nil
        var exponent = 0
        var negative = false
        var exponentSign = 1
        var inExponent = false
        for byte in value.description.utf8 {
            switch byte {
            case UInt8(ascii: "-") where !inExponent: negative = true
            case UInt8(ascii: "-"): exponentSign = -1
            case UInt8(ascii: "+"): break
            case UInt8(ascii: "."): pointPosition = digits.count
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            default:
                if inExponent { exponent = exponent * 10 + Int(byte - 48) } else { digits.append(byte) }
            }
        }
        // value = 0.d1d2d3... × 10^decimalPoint once leading zeros are dropped.
        var decimalPoint = (pointPosition ?? digits.count) + exponentSign * exponent
        while digits.count > 1 && digits[0] == UInt8(ascii: "0") { digits.removeFirst(); decimalPoint -= 1 }
        while digits.count > 1 && digits[digits.count - 1] == UInt8(ascii: "0") { digits.removeLast() }
        if negative { output.append(UInt8(ascii: "-")) }
        if digits == [UInt8(ascii: "0")] { output += Array("0.0".utf8); return }
        let leadExponent = decimalPoint - 1
        if leadExponent >= -4 && leadExponent < 16 {
            if decimalPoint <= 0 {
                output += Array("0.".utf8) + [UInt8](repeating: UInt8(ascii: "0"), count: -decimalPoint) + digits
            } else if decimalPoint >= digits.count {
                output += digits + [UInt8](repeating: UInt8(ascii: "0"), count: decimalPoint - digits.count)
                output += Array(".0".utf8)
            } else {
                output += digits[..<decimalPoint] + [UInt8(ascii: ".")] + digits[decimalPoint...]
            }
            return
        }
        output.append(digits[0])
        if digits.count > 1 { output += [UInt8(ascii: ".")] + digits[1...] }
        output += [UInt8(ascii: "e"), UInt8(ascii: leadExponent < 0 ? "-" : "+")]
        let magnitude = leadExponent < 0 ? -leadExponent : leadExponent
        if magnitude < 10 { output.append(UInt8(ascii: "0")) }
        appendNumber(magnitude, to: &output)
    }

    public static func appendNumber<Integer: FixedWidthInteger>(_ value: Integer, to output: inout [UInt8]) {
        output += Array(String(value).utf8)
    }

    private static func appendEscaped(_ byte: UInt8, to output: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): output += [0x5C, UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): output += [0x5C, 0x5C]
        case 0x0A: output += [0x5C, UInt8(ascii: "n")]
        case 0x0D: output += [0x5C, UInt8(ascii: "r")]
        case 0x09: output += [0x5C, UInt8(ascii: "t")]
        case 0x08: output += [0x5C, UInt8(ascii: "b")]
        case 0x0C: output += [0x5C, UInt8(ascii: "f")]
        case 0x00..<0x20: appendUnicodeEscape(UInt32(byte), to: &output)
        default: output.append(byte)
        }
    }

    /// `\u` and four lower-case hex digits, as Python writes them.
    private static func appendUnicodeEscape(_ unit: UInt32, to output: inout [UInt8]) {
        output += [0x5C, UInt8(ascii: "u")]
        for shift in stride(from: 12, through: 0, by: -4) {
            let digit = UInt8((unit >> UInt32(shift)) & 0xF)
            output.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
        }
    }
}
