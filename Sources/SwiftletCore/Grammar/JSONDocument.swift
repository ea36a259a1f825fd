/// A JSON value parsed from text, object members in their order (a schema's properties are
/// generated in the order they are written). Strings are UTF-8 with escapes decoded.
/// Numbers keep their source text, which is exact, beside `value`, the nearest double for
/// ordinary numbers (within an ulp or two past 15 significant digits or 1e±22: the core has
/// no correctly rounded decimal parser). Two numbers are equal when their values are, as
/// JSON Schema's `const` and `enum` compare them; object members compare in order.
public enum JSONDocument: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(text: [UInt8], value: Double)
    case string([UInt8])
    case array([JSONDocument])
    case object([(key: [UInt8], value: JSONDocument)])

    /// Parses one JSON text (RFC 8259: no comments, trailing commas, leading zeros or NaN),
    /// surrounded by optional whitespace. Errors name the line, column and byte offset.
    public static func parse(_ text: [UInt8]) throws(SchemaError) -> JSONDocument {
        var parser = JSONDocumentParser(text: text)
        parser.skipWhitespace()
        let document = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.offset == text.count else { throw parser.failure("unexpected text after the JSON value") }
        return document
    }

    public static func == (lhs: JSONDocument, rhs: JSONDocument) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(left), .bool(right)): return left == right
        case let (.number(_, left), .number(_, right)): return left == right
        case let (.string(left), .string(right)): return left == right
        case let (.array(left), .array(right)): return left == right
        case let (.object(left), .object(right)):
            guard left.count == right.count else { return false }
            for index in left.indices where left[index].key != right[index].key || left[index].value != right[index].value {
                return false
            }
            return true
        default: return false
        }
    }

    /// The value as compact JSON text (no spaces), numbers in their source spelling so an
    /// integer stays an integer.
    public func appendCompact(to output: inout [UInt8]) {
        switch self {
        case .null: output += Array("null".utf8)
        case let .bool(flag): output += Array((flag ? "true" : "false").utf8)
        case let .number(text, _): output += text
        case let .string(bytes): JSONText.appendString(bytes, to: &output)
        case let .array(items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.appendCompact(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case let .object(members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONText.appendString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                member.value.appendCompact(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The value of the first member named `key`, for objects.
    public func member(_ key: String) -> JSONDocument? {
        guard case let .object(members) = self else { return nil }
        let keyBytes = Array(key.utf8)
        for member in members where member.key == keyBytes { return member.value }
        return nil
    }
}

/// A recursive-descent reader over the bytes of one JSON text.
struct JSONDocumentParser {
    /// Deep enough for any real schema, shallow enough for the wasm module's 1 MiB stack.
    static let maxDepth = 200

    let text: [UInt8]
    var offset = 0

    init(text: [UInt8]) { self.text = text }

    func failure(_ message: String, at position: Int? = nil) -> SchemaError {
        let end = min(position ?? offset, text.count)
        var line = 1
        var column = 1
        for byte in text[..<end] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return SchemaError("invalid JSON at \(line):\(column) (byte \(end)): \(message)", path: "")
    }

    mutating func skipWhitespace() {
        while offset < text.count {
            switch text[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(SchemaError) -> JSONDocument {
        guard depth < Self.maxDepth else { throw failure("nested deeper than \(Self.maxDepth) levels") }
        guard offset < text.count else { throw failure("unexpected end of text, expected a value") }
        switch text[offset] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected character, expected a value")
        }
    }

    private mutating func expectWord(_ word: String) throws(SchemaError) {
        let bytes = Array(word.utf8)
        guard offset + bytes.count <= text.count, Array(text[offset..<(offset + bytes.count)]) == bytes else {
            throw failure("unknown literal, expected \(word)")
        }
        offset += bytes.count
    }

    private mutating func parseObject(depth: Int) throws(SchemaError) -> JSONDocument {
        offset += 1
        var members: [(key: [UInt8], value: JSONDocument)] = []
        skipWhitespace()
        if offset < text.count && text[offset] == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard offset < text.count && text[offset] == UInt8(ascii: "\"") else { throw failure("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard offset < text.count && text[offset] == UInt8(ascii: ":") else { throw failure("expected ':' after an object key") }
            offset += 1
            skipWhitespace()
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            guard offset < text.count else { throw failure("unexpected end of text, expected ',' or '}'") }
            if text[offset] == UInt8(ascii: "}") { offset += 1; return .object(members) }
            guard text[offset] == UInt8(ascii: ",") else { throw failure("expected ',' or '}'") }
            offset += 1
        }
    }

    private mutating func parseArray(depth: Int) throws(SchemaError) -> JSONDocument {
        offset += 1
        var items: [JSONDocument] = []
        skipWhitespace()
        if offset < text.count && text[offset] == UInt8(ascii: "]") {
            offset += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard offset < text.count else { throw failure("unexpected end of text, expected ',' or ']'") }
            if text[offset] == UInt8(ascii: "]") { offset += 1; return .array(items) }
            guard text[offset] == UInt8(ascii: ",") else { throw failure("expected ',' or ']'") }
            offset += 1
        }
    }

    private func isDigit(_ index: Int) -> Bool {
        index < text.count && text[index] >= UInt8(ascii: "0") && text[index] <= UInt8(ascii: "9")
    }

    private mutating func parseNumber() throws(SchemaError) -> JSONDocument {
        let start = offset
        if text[offset] == UInt8(ascii: "-") { offset += 1 }
        guard isDigit(offset) else { throw failure("expected a digit") }
        if text[offset] == UInt8(ascii: "0") {
            offset += 1
            if isDigit(offset) { throw failure("leading zeros are not allowed") }
        } else {
            while isDigit(offset) { offset += 1 }
        }
        if offset < text.count && text[offset] == UInt8(ascii: ".") {
            offset += 1
            guard isDigit(offset) else { throw failure("expected a digit after '.'") }
            while isDigit(offset) { offset += 1 }
        }
        if offset < text.count && (text[offset] == UInt8(ascii: "e") || text[offset] == UInt8(ascii: "E")) {
            offset += 1
            if offset < text.count && (text[offset] == UInt8(ascii: "+") || text[offset] == UInt8(ascii: "-")) { offset += 1 }
            guard isDigit(offset) else { throw failure("expected a digit in the exponent") }
            while isDigit(offset) { offset += 1 }
        }
        let spelling = Array(text[start..<offset])
        return .number(text: spelling, value: Self.approximateValue(of: spelling))
    }

    /// The double nearest a well-formed JSON number, exact when the significant digits fit
    /// 15 digits and the exponent ±22 (one exact product or quotient of exact doubles).
    static func approximateValue(of spelling: [UInt8]) -> Double {
        var mantissa: UInt64 = 0
        var scale = 0
        var negative = false
        var index = 0
        var afterPoint = false
        while index < spelling.count {
            let byte = spelling[index]
            if byte == UInt8(ascii: "-") {
                negative = true
            } else if byte == UInt8(ascii: ".") {
                afterPoint = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                break
            } else if mantissa < 1_000_000_000_000_000_000 {
                mantissa = mantissa * 10 + UInt64(byte - 48)
                if afterPoint { scale -= 1 }
            } else if !afterPoint {
                scale += 1  // digits past 19 only shift the magnitude
            }
            index += 1
        }
        if index < spelling.count {
            index += 1
            var exponentNegative = false
            if spelling[index] == UInt8(ascii: "-") || spelling[index] == UInt8(ascii: "+") {
                exponentNegative = spelling[index] == UInt8(ascii: "-")
                index += 1
            }
            var exponent = 0
            while index < spelling.count {
                if exponent < 100_000 { exponent = exponent * 10 + Int(spelling[index] - 48) }
                index += 1
            }
            scale += exponentNegative ? -exponent : exponent
        }
        var value = Double(mantissa)
        if mantissa != 0 {
            var power = 1.0
            for _ in 0..<min(scale.magnitude, 400) { power *= 10 }
            value = scale < 0 ? value / power : value * power
            if scale < -308 { value = 0 }  // the power overflowed to infinity
        }
        return negative ? -value : value
    }

    /// A string's contents with escapes decoded, as UTF-8.
    private mutating func parseString() throws(SchemaError) -> [UInt8] {
        offset += 1
        var bytes: [UInt8] = []
        while true {
            guard offset < text.count else { throw failure("unterminated string") }
            let byte = text[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return bytes
            case UInt8(ascii: "\\"):
                offset += 1
                guard offset < text.count else { throw failure("unterminated string") }
                let escape = text[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escape)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"): Self.appendUTF8(try parseUnicodeEscape(), to: &bytes)
                default: throw failure("invalid escape in string", at: offset - 2)
                }
            case 0x00..<0x20:
                throw failure("control character in string (must be escaped)")
            case 0x00..<0x80:
                bytes.append(byte)
                offset += 1
            default:
                let length = Self.validUTF8Length(text, at: offset)
                guard length > 0 else { throw failure("invalid UTF-8 in string") }
                bytes += text[offset..<(offset + length)]
                offset += length
            }
        }
    }

    /// The scalar of `\uXXXX` (after the `\u`), joining a surrogate pair.
    private mutating func parseUnicodeEscape() throws(SchemaError) -> UInt32 {
        let start = offset - 2
        let first = try parseHex4()
        if first >= 0xDC00 && first < 0xE000 { throw failure("unpaired surrogate escape", at: start) }
        guard first >= 0xD800 && first < 0xDC00 else { return first }
        guard offset + 1 < text.count, text[offset] == UInt8(ascii: "\\"), text[offset + 1] == UInt8(ascii: "u") else {
            throw failure("unpaired surrogate escape", at: start)
        }
        offset += 2
        let second = try parseHex4()
        guard second >= 0xDC00 && second < 0xE000 else { throw failure("unpaired surrogate escape", at: start) }
        return 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
    }

    private mutating func parseHex4() throws(SchemaError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard offset < text.count else { throw failure("unterminated \\u escape") }
            let byte = text[offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 55)
            default: throw failure("expected four hex digits after \\u")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence at `index` (no overlongs, surrogates or
    /// values past U+10FFFF), or 0.
    static func validUTF8Length(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        guard bytes[index + 1] >= low && bytes[index + 1] <= high else { return 0 }
        for continuation in bytes[(index + 2)..<(index + length)] where continuation & 0xC0 != 0x80 { return 0 }
        return length
    }

    /// Appends one Unicode scalar (`value` < 0x110000, not a surrogate) as UTF-8.
    static func appendUTF8(_ value: UInt32, to bytes: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            bytes.append(UInt8(value))
        case 0x80..<0x800:
            bytes += [UInt8(0xC0 | value >> 6), UInt8(0x80 | value & 0x3F)]
        case 0x800..<0x10000:
            bytes += [UInt8(0xE0 | value >> 12), UInt8(0x80 | value >> 6 & 0x3F), UInt8(0x80 | value & 0x3F)]
        default:
            bytes += [UInt8(0xF0 | value >> 18), UInt8(0x80 | value >> 12 & 0x3F), UInt8(0x80 | value >> 6 & 0x3F),
                      UInt8(0x80 | value & 0x3F)]
        }
    }
}
