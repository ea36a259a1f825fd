/// The `tojson` filter as Hugging Face defines it: Python's `json.dumps(value,
/// ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)` (not
/// Jinja's HTML-safe variant), so non-ASCII text stays as is. Strings and numbers come from
/// the core's one writer, `JSONText`; this adds Python's layout and its `NaN`/`Infinity`.
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
        case let .int(number): JSONText.appendNumber(number, to: &output)
        case let .double(number):
            if number.isNaN { output += TemplateText.bytes("NaN") }
            else if number.isInfinite { output += TemplateText.bytes(number < 0 ? "-Infinity" : "Infinity") }
            else { JSONText.appendNumber(number, to: &output) }
        case let .string(bytes): JSONText.appendString(bytes, escapingNonASCII: style.asciiOnly, to: &output)
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
                case let .string(key): JSONText.appendString(key, escapingNonASCII: style.asciiOnly, to: &output)
                case .none: output += TemplateText.bytes("\"null\"")
                case let .bool(flag): output += TemplateText.bytes(flag ? "\"true\"" : "\"false\"")
                case .int, .double: JSONText.appendString(entries[index].key.text, to: &output)
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
}
