/// The `tojson` filter as Hugging Face defines it: Python's `json.dumps(value,
/// ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)` (not
/// Jinja's HTML-safe variant), so non-ASCII text stays as is.
extension TemplateRenderer {
    struct JSONStyle {
        var indent: [UInt8]?
        var itemSeparator: [UInt8]
        var keySeparator: [UInt8]
        var sortKeys: Bool
        var asciiOnly: Bool
    }

    func json(_ value: TemplateValue, _ arguments: CallArguments, at location: SourceLocation) throws(ChatTemplateError) -> [UInt8] {
        var indent: [UInt8]? = nil
        switch arguments.value(1, "indent") {
        case nil, .none?: break
        case let .string(bytes)?: indent = bytes
        case let other?:
            guard let width = other.number?.integer else { throw failure("tojson indent must be an integer or string", at: location) }
            indent = [UInt8](repeating: UInt8(ascii: " "), count: max(0, min(width, 1000)))
        }
        var style = JSONStyle(indent: indent, itemSeparator: TemplateText.bytes(indent == nil ? ", " : ","),
                              keySeparator: TemplateText.bytes(": "), sortKeys: arguments.value(3, "sort_keys")?.isTruthy ?? false,
                              asciiOnly: arguments.value(0, "ensure_ascii")?.isTruthy ?? false)
        if case let .list(separators)? = arguments.value(2, "separators"), separators.count == 2 {
            style.itemSeparator = separators[0].text
            style.keySeparator = separators[1].text
        }
        var output: [UInt8] = []
        try appendJSON(value, style: style, level: 0, to: &output, at: location)
        return output
    }

    private func appendJSON(_ value: TemplateValue, style: JSONStyle, level: Int, to output: inout [UInt8],
                            at location: SourceLocation) throws(ChatTemplateError) {
        guard level < TemplateParser.maxDepth else { throw limitFailure("tojson nesting too deep", at: location) }
        guard output.count <= Self.maxOutputBytes else { throw limitFailure("tojson output too large", at: location) }
        switch value {
        case .none: output += TemplateText.bytes("null")
        case let .bool(flag): output += TemplateText.bytes(flag ? "true" : "false")
        case let .int(number): output += TemplateFormatting.integer(number)
        case let .double(number):
            if number.isNaN { output += TemplateText.bytes("NaN") }
            else if number.isInfinite { output += TemplateText.bytes(number < 0 ? "-Infinity" : "Infinity") }
            else { output += TemplateFormatting.float(number) }
        case let .string(bytes): Self.appendJSONString(bytes, asciiOnly: style.asciiOnly, to: &output)
        case let .list(items):
            try appendContainer(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), count: items.count, style: style,
                                level: level, to: &output) { (index, output) throws(ChatTemplateError) in
                try appendJSON(items[index], style: style, level: level + 1, to: &output, at: location)
            }
        case var .dictionary(dictionary):
            if style.sortKeys {
                let pairs = try sorted(dictionary.entries.map { .list([$0.key, $0.value]) }, key: .int(0), caseSensitive: true, at: location)
                dictionary.entries = []
                for case let .list(pair) in pairs { dictionary.entries.append((pair[0], pair[1])) }
            }
            let entries = dictionary.entries
            try appendContainer(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), count: entries.count, style: style,
                                level: level, to: &output) { (index, output) throws(ChatTemplateError) in
                switch entries[index].key {
                case let .string(key): Self.appendJSONString(key, asciiOnly: style.asciiOnly, to: &output)
                case .none: output += TemplateText.bytes("\"null\"")
                case let .bool(flag): output += TemplateText.bytes(flag ? "\"true\"" : "\"false\"")
                case .int, .double: Self.appendJSONString(entries[index].key.text, asciiOnly: false, to: &output)
                default: throw failure("keys must be str, int, float, bool or None, not \(entries[index].key.typeName)", at: location)
                }
                output += style.keySeparator
                try appendJSON(entries[index].value, style: style, level: level + 1, to: &output, at: location)
            }
        default:
            throw failure("Object of type \(value.typeName) is not JSON serializable", at: location)
        }
    }

    private func appendContainer(open: UInt8, close: UInt8, count: Int, style: JSONStyle, level: Int, to output: inout [UInt8],
                                 element: (Int, inout [UInt8]) throws(ChatTemplateError) -> Void) throws(ChatTemplateError) {
        output.append(open)
        guard count > 0 else { output.append(close); return }
        for index in 0..<count {
            if index > 0 { output += style.itemSeparator }
            if let indent = style.indent {
                output.append(UInt8(ascii: "\n"))
                for _ in 0...level { output += indent }
            }
            try element(index, &output)
        }
        if let indent = style.indent {
            output.append(UInt8(ascii: "\n"))
            for _ in 0..<level { output += indent }
        }
        output.append(close)
    }

    /// A JSON string literal; `asciiOnly` escapes non-ASCII as `\uXXXX` (surrogate pairs
    /// above U+FFFF), as `ensure_ascii=True` does.
    static func appendJSONString(_ bytes: [UInt8], asciiOnly: Bool, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if asciiOnly && byte >= 0x80 {
                let (value, length) = TemplateText.scalar(in: bytes, at: index - 1)
                index += length - 1
                let units: [UInt32] = value < 0x10000 ? [value] : [0xD800 + ((value - 0x10000) >> 10), 0xDC00 + ((value - 0x10000) & 0x3FF)]
                for unit in units { output += [0x5C, UInt8(ascii: "u")] + TemplateValue.hexDigits(unit, width: 4) }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): output += [0x5C, UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [0x5C, 0x5C]
            case 0x0A: output += [0x5C, UInt8(ascii: "n")]
            case 0x0D: output += [0x5C, UInt8(ascii: "r")]
            case 0x09: output += [0x5C, UInt8(ascii: "t")]
            case 0x08: output += [0x5C, UInt8(ascii: "b")]
            case 0x0C: output += [0x5C, UInt8(ascii: "f")]
            case 0x00..<0x20: output += TemplateText.bytes("\\u00") + TemplateValue.hexDigits(UInt32(byte), width: 2)
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

/// JSON text for the shells that describe things to JavaScript or HTTP clients.
public enum JSONText {
    /// `text` (UTF-8) as a JSON string literal, non-ASCII kept as is.
    public static func quoted(_ text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        TemplateRenderer.appendJSONString(text, asciiOnly: false, to: &output)
        return output
    }
}
