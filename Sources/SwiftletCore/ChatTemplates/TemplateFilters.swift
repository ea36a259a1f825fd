/// Jinja's filters (`value | name(args)`) and tests (`value is name`) that chat templates use.
/// Names are checked when the template is parsed, as Jinja does, so a typo is a syntax error.
extension TemplateRenderer {
    static let filterNames: [StaticString] = [
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
        "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum",
        "title", "tojson", "trim", "unique", "upper",
    ]

    static let testNames: [StaticString] = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "float",
        "ge", "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan", "lower", "lt", "mapping", "ne",
        "none", "number", "odd", "sameas", "sequence", "string", "true", "undefined", "upper", "==", "!=", "<",
        "<=", ">", ">=",
    ]

    static func isKnown(_ name: [UInt8], in names: [StaticString]) -> Bool {
        names.contains { $0 ~= name }
    }

    func applyFilter(_ name: [UInt8], to value: TemplateValue, _ arguments: CallArguments,
                     at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue {
        // Jinja's `if value:` guard in these: mapping or selecting over none gives nothing.
        if !value.isTruthy && Self.isKnown(name, in: ["map", "select", "reject", "selectattr", "rejectattr"]) {
            return .list([])
        }
        switch name {
        case "trim":
            let characters: [UInt32]?
            switch arguments.value(0, "chars") {
            case nil, .none?: characters = nil
            case let other?: characters = TemplateText.scalars(other.text)
            }
            return .string(TemplateText.strip(value.text, characters: characters, leading: true, trailing: true))
        case "length", "count":
            switch value {
            case let .string(bytes): return .int(TemplateText.scalarCount(bytes))
            case let .list(items): return .int(items.count)
            case let .dictionary(dictionary): return .int(dictionary.entries.count)
            case .undefined: return .int(0)
            default: throw failure("object of type '\(value.typeName)' has no len()", at: location)
            }
        case "upper": return .string(TemplateFormatting.uppercased(value.text))
        case "lower": return .string(TemplateFormatting.lowercased(value.text))
        case "capitalize": return .string(TemplateFormatting.capitalized(value.text))
        case "title": return .string(TemplateFormatting.titled(value.text))
        case "string": return .string(value.text)
        case "safe": return value
        case "e", "escape": return .string(Self.htmlEscaped(value.text))
        case "default", "d":
            let useDefault = value.isUndefined || (arguments.value(1, "boolean")?.isTruthy == true && !value.isTruthy)
            return useDefault ? arguments.value(0, "default_value") ?? .string([]) : value
        case "first", "last":
            let items = try iterate(value, at: location)
            return ("first" ~= name ? items.first : items.last) ?? .undefined([])
        case "join":
            let separator = arguments.value(0, "d")?.text ?? []
            var result: [UInt8] = []
            for (index, item) in try iterate(value, at: location).enumerated() {
                if index > 0 { result += separator }
                result += try attributePath(arguments.value(1, "attribute"), of: item, at: location).text
                if result.count > Self.maxOutputBytes { throw limitFailure("joined string too long", at: location) }
            }
            return .string(result)
        case "replace":
            let old = arguments.value(0, "old")?.text ?? [], new = arguments.value(1, "new")?.text ?? []
            var count = -1
            if let limit = arguments.value(2, "count"), case let .int(number) = limit { count = number }
            return .string(try checkedSize(TemplateText.replace(value.text, old, with: new, count: count), at: location))
        case "tojson":
            return .string(try json(value, arguments, at: location))
        case "int":
            return Self.integer(value) ?? arguments.value(0, "default") ?? .int(0)
        case "float":
            if let number = value.number { return .double(number.double) }
            if case let .string(bytes) = value, let parsed = TemplateFormatting.parseFloat(bytes) { return .double(parsed) }
            return arguments.value(0, "default") ?? .double(0)
        case "abs":
            switch value {
            case let .int(number) where number != Int.min: return .int(number < 0 ? -number : number)
            case let .double(number): return .double(number.magnitude)
            case let .bool(flag): return .int(flag ? 1 : 0)
            default: throw failure("bad operand type for abs(): '\(value.typeName)'", at: location)
            }
        case "round":
            guard let number = value.number?.double else { throw failure("round needs a number", at: location) }
            let precision = arguments.value(0, "precision")?.number?.integer ?? 0
            let method = arguments.value(1, "method")?.text ?? TemplateText.bytes("common")
            let scale = Self.power(10, precision)
            let rule: FloatingPointRoundingRule = "floor" ~= method ? .down : "ceil" ~= method ? .up : .toNearestOrEven
            return .double((number * scale).rounded(rule) / scale)
        case "list":
            return .list(try iterate(value, at: location))
        case "reverse":
            if case let .string(bytes) = value {
                var result: [UInt8] = []
                for range in TemplateText.scalarRanges(bytes).reversed() { result += bytes[range] }
                return .string(result)
            }
            return .list(try iterate(value, at: location).reversed())
        case "items":
            switch value {
            case let .dictionary(dictionary): return .list(dictionary.entries.map { .list([$0.key, $0.value]) })
            case .undefined: return .list([])
            default: throw failure("items filter needs a mapping, not '\(value.typeName)'", at: location)
            }
        case "dictsort":
            guard case let .dictionary(dictionary) = value else { throw failure("dictsort needs a mapping", at: location) }
            let pairs = dictionary.entries.map { TemplateValue.list([$0.key, $0.value]) }
            return .list(try sorted(pairs, key: .int(0), caseSensitive: false, at: location))
        case "sort":
            var items = try sorted(try iterate(value, at: location), key: arguments.value(2, "attribute"),
                                   caseSensitive: arguments.value(1, "case_sensitive")?.isTruthy ?? false, at: location)
            if arguments.value(0, "reverse")?.isTruthy == true { items.reverse() }
            return .list(items)
        case "unique":
            let caseSensitive = arguments.value(0, "case_sensitive")?.isTruthy ?? false
            var seen: [TemplateValue] = [], result: [TemplateValue] = []
            for item in try iterate(value, at: location) {
                let key = Self.sortKey(try attributePath(arguments.value(1, "attribute"), of: item, at: location), caseSensitive)
                if !seen.contains(where: { $0.equals(key) }) { seen.append(key); result.append(item) }
            }
            return .list(result)
        case "min", "max":
            let items = try sorted(try iterate(value, at: location), key: arguments.value(1, "attribute"),
                                   caseSensitive: arguments.value(0, "case_sensitive")?.isTruthy ?? false, at: location)
            return ("min" ~= name ? items.first : items.last) ?? .undefined([])
        case "sum":
            var total = arguments.value(1, "start") ?? .int(0)
            for item in try iterate(value, at: location) {
                total = try binary(.add, total, try attributePath(arguments.value(0, "attribute"), of: item, at: location), at: location)
            }
            return total
        case "attr":
            return try attribute(arguments.value(0, "name")?.text ?? [], of: value, at: location)
        case "map":
            var rest = arguments
            var result: [TemplateValue] = []
            if arguments.positional.isEmpty, let path = arguments.value(0, "attribute") {
                for item in try iterate(value, at: location) {
                    let mapped = try attributePath(path, of: item, at: location)
                    result.append(mapped.isUndefined ? arguments.value(1, "default") ?? mapped : mapped)
                }
                return .list(result)
            }
            guard !rest.positional.isEmpty else { throw failure("map needs a filter name or attribute=", at: location) }
            let filter = rest.positional.removeFirst().text
            guard Self.isKnown(filter, in: Self.filterNames) else { throw failure("no filter named '\(TemplateText.string(filter))'", at: location) }
            for item in try iterate(value, at: location) { result.append(try applyFilter(filter, to: item, rest, at: location)) }
            return .list(result)
        case "select", "reject", "selectattr", "rejectattr":
            var rest = arguments
            let byAttribute = "selectattr" ~= name || "rejectattr" ~= name
            let keep = "select" ~= name || "selectattr" ~= name
            let path: TemplateValue? = byAttribute && !rest.positional.isEmpty ? rest.positional.removeFirst() : nil
            let test = rest.positional.isEmpty ? nil : rest.positional.removeFirst().text
            if let test, !Self.isKnown(test, in: Self.testNames) { throw failure("no test named '\(TemplateText.string(test))'", at: location) }
            var result: [TemplateValue] = []
            for item in try iterate(value, at: location) {
                let subject = try attributePath(path, of: item, at: location)
                var passed = subject.isTruthy
                if let test { passed = try applyTest(test, to: subject, rest, at: location) }
                if passed == keep { result.append(item) }
            }
            return .list(result)
        case "indent":
            return .string(try indent(value.text, arguments))
        default:
            throw failure("no filter named '\(TemplateText.string(name))'", at: location)
        }
    }

    func applyTest(_ name: [UInt8], to value: TemplateValue, _ arguments: CallArguments,
                   at location: SourceLocation) throws(ChatTemplateError) -> Bool {
        let other = arguments.value(0, "other") ?? TemplateValue.none
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true }; return false
        case "boolean": if case .bool = value { return true }; return false
        case "true": if case .bool(true) = value { return true }; return false
        case "false": if case .bool(false) = value { return true }; return false
        case "integer": if case .int = value { return true }; return false
        case "float": if case .double = value { return true }; return false
        case "number": return value.number != nil
        case "string": if case .string = value { return true }; return false
        case "mapping": if case .dictionary = value { return true }; return false
        case "iterable", "sequence":
            switch value {
            case .string, .list, .dictionary, .undefined: return true
            default: return false
            }
        case "callable":
            switch value {
            case .macro, .function: return true
            default: return false
            }
        case "odd", "even":
            guard let integer = value.number?.integer else { throw failure("\(TemplateText.string(name)) needs an integer", at: location) }
            return (integer & 1 == 1) == ("odd" ~= name)
        case "divisibleby":
            guard let integer = value.number?.integer, let divisor = other.number?.integer, divisor != 0 else {
                throw failure("divisibleby needs a non-zero integer divisor", at: location)
            }
            return integer % divisor == 0
        case "eq", "equalto", "==": return value.equals(other)
        case "ne", "!=": return !value.equals(other)
        case "lt", "lessthan", "<": return try binary(.less, value, other, at: location).isTruthy
        case "le", "<=": return try binary(.lessOrEqual, value, other, at: location).isTruthy
        case "gt", "greaterthan", ">": return try binary(.greater, value, other, at: location).isTruthy
        case "ge", ">=": return try binary(.greaterOrEqual, value, other, at: location).isTruthy
        case "in": return try contains(arguments.value(0, "seq") ?? TemplateValue.none, value, at: location)
        case "lower", "upper":
            guard case let .string(bytes) = value else { return false }
            return "lower" ~= name ? TemplateFormatting.lowercased(bytes) == bytes : TemplateFormatting.uppercased(bytes) == bytes
        case "sameas":
            switch (value, other) {
            case (.none, .none), (.undefined, .undefined): return true
            case let (.bool(a), .bool(b)): return a == b
            case (.namespace, .namespace), (.macro, .macro), (.loop, .loop): return value.equals(other)
            default: return false
            }
        case "escaped": return false
        default:
            throw failure("no test named '\(TemplateText.string(name))'", at: location)
        }
    }

    /// Jinja's attribute getter for `map`, `sort`, `join`…: `"a.b.0"` walks dicts and lists.
    func attributePath(_ path: TemplateValue?, of item: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue {
        guard let path else { return item }
        if case let .int(index) = path { return try self.item(.int(index), of: item, at: location) }
        var current = item
        for part in TemplateText.split(path.text, separator: [UInt8(ascii: ".")], maxSplits: -1) {
            let key: TemplateValue = TemplateFormatting.parseInteger(part).map { .int($0) } ?? .string(part)
            current = try self.item(key, of: current, at: location)
        }
        return current
    }

    static func sortKey(_ value: TemplateValue, _ caseSensitive: Bool) -> TemplateValue {
        guard !caseSensitive, case let .string(bytes) = value else { return value }
        return .string(TemplateFormatting.lowercased(bytes))
    }

    /// A stable insertion sort (lists in templates are short); Python's error for mixed types.
    func sorted(_ items: [TemplateValue], key: TemplateValue?, caseSensitive: Bool, at location: SourceLocation) throws(ChatTemplateError) -> [TemplateValue] {
        var keyed: [(key: TemplateValue, item: TemplateValue)] = []
        for item in items { keyed.append((Self.sortKey(try attributePath(key, of: item, at: location), caseSensitive), item)) }
        guard keyed.count <= 10_000 else { throw limitFailure("sorting more than 10000 items", at: location) }
        for index in keyed.indices.dropFirst() {
            var position = index
            while position > 0 {
                guard let order = keyed[position - 1].key.compare(keyed[position].key) else {
                    throw failure("'<' not supported between '\(keyed[position].key.typeName)' and '\(keyed[position - 1].key.typeName)'", at: location)
                }
                if order <= 0 { break }
                keyed.swapAt(position - 1, position)
                position -= 1
            }
        }
        return keyed.map { $0.item }
    }

    static func integer(_ value: TemplateValue) -> TemplateValue? {
        switch value {
        case let .int(number): return .int(number)
        case let .bool(flag): return .int(flag ? 1 : 0)
        case let .double(number):
            guard number.isFinite, number.magnitude < 9.2e18 else { return nil }
            return .int(Int(number))
        case let .string(bytes):
            if let parsed = TemplateFormatting.parseInteger(bytes) { return .int(parsed) }
            return TemplateFormatting.parseFloat(bytes).flatMap { integer(.double($0)) }
        default: return nil
        }
    }

    static func htmlEscaped(_ text: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        for byte in text {
            switch byte {
            case UInt8(ascii: "&"): result += TemplateText.bytes("&amp;")
            case UInt8(ascii: "<"): result += TemplateText.bytes("&lt;")
            case UInt8(ascii: ">"): result += TemplateText.bytes("&gt;")
            case UInt8(ascii: "\""): result += TemplateText.bytes("&#34;")
            case UInt8(ascii: "'"): result += TemplateText.bytes("&#39;")
            default: result.append(byte)
            }
        }
        return result
    }

    /// Jinja 3's `indent(width=4, first=False, blank=False)`: indents every line but the
    /// first; blank lines stay empty unless `blank`.
    private func indent(_ text: [UInt8], _ arguments: CallArguments) throws(ChatTemplateError) -> [UInt8] {
        let width = arguments.value(0, "width") ?? .int(4)
        var indentation: [UInt8] = []
        if case let .string(bytes) = width { indentation = bytes } else {
            indentation = [UInt8](repeating: UInt8(ascii: " "), count: max(0, min(width.number?.integer ?? 4, 1000)))
        }
        let blank = arguments.value(2, "blank")?.isTruthy ?? false
        let lines = Self.lines(of: text + [UInt8(ascii: "\n")])
        var result: [UInt8] = lines.first ?? []
        for line in lines.dropFirst() {
            result.append(UInt8(ascii: "\n"))
            if blank || !line.isEmpty { result += indentation }
            result += line
        }
        if arguments.value(1, "first")?.isTruthy == true { result = indentation + result }
        return try checkedSize(result, at: location)
    }
}
