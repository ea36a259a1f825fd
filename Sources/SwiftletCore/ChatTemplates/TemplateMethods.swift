/// Python methods that chat templates call on values (`content.strip()`,
/// `message.get('x')`, `loop.cycle(…)`) and the global functions (`range`, `namespace`,
/// `raise_exception`, `strftime_now`). Lists have no mutating methods: Hugging Face renders
/// in Jinja's immutable sandbox, where `append` is refused too.
extension TemplateRenderer {
    /// nil when `object` has no method `name`, so the caller can try an attribute.
    func callMethod(_ name: [UInt8], on object: TemplateValue, _ arguments: CallArguments,
                    at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue? {
        switch object {
        case let .string(text): return try stringMethod(name, text, arguments, at: location)
        case let .dictionary(dictionary):
            switch name {
            case "items": return .list(dictionary.entries.map { .list([$0.key, $0.value]) })
            case "keys": return .list(dictionary.entries.map { $0.key })
            case "values": return .list(dictionary.entries.map { $0.value })
            case "get":
                guard let key = arguments.value(0, "key") else { throw failure("get() needs a key", at: location) }
                return dictionary.value(for: key) ?? arguments.value(1, "default") ?? TemplateValue.none
            default: return nil
            }
        case let .list(items):
            switch name {
            case "count":
                let needle = arguments.value(0, "value") ?? TemplateValue.none
                return .int(items.reduce(0) { $0 + ($1.equals(needle) ? 1 : 0) })
            case "index":
                let needle = arguments.value(0, "value") ?? TemplateValue.none
                guard let position = items.firstIndex(where: { $0.equals(needle) }) else {
                    throw failure("value is not in list", at: location)
                }
                return .int(position)
            case "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse":
                throw failure("lists cannot be modified in a chat template (immutable sandbox)", at: location)
            default: return nil
            }
        case let .loop(loop):
            guard "cycle" ~= name else { return nil }
            guard !arguments.positional.isEmpty else { throw failure("loop.cycle() needs at least one value", at: location) }
            return arguments.positional[loop.index0 % arguments.positional.count]
        default:
            return nil
        }
    }

    private func optionalText(_ value: TemplateValue?, _ what: String, at location: SourceLocation) throws(ChatTemplateError) -> [UInt8]? {
        switch value {
        case nil, .none?: return nil
        case let .string(bytes)?: return bytes
        case let other?: throw failure("\(what) must be a string, not '\(other.typeName)'", at: location)
        }
    }

    private func text(_ value: TemplateValue?, _ what: String, at location: SourceLocation) throws(ChatTemplateError) -> [UInt8] {
        guard let bytes = try optionalText(value, what, at: location) else { throw failure("\(what) is required", at: location) }
        return bytes
    }

    private func stringMethod(_ name: [UInt8], _ text: [UInt8], _ arguments: CallArguments,
                              at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue? {
        switch name {
        case "strip", "lstrip", "rstrip":
            let characters = try optionalText(arguments.value(0, "chars"), "strip characters", at: location)
            return .string(TemplateText.strip(text, characters: characters.map(TemplateText.scalars),
                                              leading: !("rstrip" ~= name), trailing: !("lstrip" ~= name)))
        case "startswith", "endswith":
            let candidates: [TemplateValue]
            switch arguments.value(0, "prefix") {
            case let .list(items)?: candidates = items
            case let value?: candidates = [value]
            case nil: throw failure("\(TemplateText.string(name))() needs an argument", at: location)
            }
            for candidate in candidates {
                let affix = try self.text(candidate, "\(TemplateText.string(name))() argument", at: location)
                if "startswith" ~= name ? TemplateText.hasPrefix(text, affix) : TemplateText.hasSuffix(text, affix) { return .bool(true) }
            }
            return .bool(false)
        case "split", "rsplit":
            let separator = try optionalText(arguments.value(0, "sep"), "separator", at: location)
            if separator?.isEmpty == true { throw failure("empty separator", at: location) }
            let maxSplits = arguments.value(1, "maxsplit")?.number?.integer ?? -1
            if "rsplit" ~= name && maxSplits >= 0 {
                let reversed = TemplateText.split(Array(text.reversed()), separator: separator.map { Array($0.reversed()) }, maxSplits: maxSplits)
                return .list(reversed.reversed().map { .string(Array($0.reversed())) })
            }
            return .list(TemplateText.split(text, separator: separator, maxSplits: maxSplits).map { .string($0) })
        case "splitlines": return .list(Self.lines(of: text).map { .string($0) })
        case "upper": return .string(TemplateFormatting.uppercased(text))
        case "lower": return .string(TemplateFormatting.lowercased(text))
        case "capitalize": return .string(TemplateFormatting.capitalized(text))
        case "title": return .string(TemplateFormatting.titled(text))
        case "replace":
            let old = try self.text(arguments.value(0, "old"), "replace() old", at: location)
            let new = try self.text(arguments.value(1, "new"), "replace() new", at: location)
            let count = arguments.value(2, "count")?.number?.integer ?? -1
            return .string(try checkedSize(TemplateText.replace(text, old, with: new, count: count), at: location))
        case "find", "count":
            let needle = try self.text(arguments.value(0, "sub"), "\(TemplateText.string(name))() argument", at: location)
            if "count" ~= name {
                if needle.isEmpty { return .int(TemplateText.scalarCount(text) + 1) }
                return .int(TemplateText.split(text, separator: needle, maxSplits: -1).count - 1)
            }
            guard let offset = TemplateText.find(needle, in: text) else { return .int(-1) }
            return .int(TemplateText.scalarCount(Array(text[..<offset])))
        case "removeprefix", "removesuffix":
            let affix = try self.text(arguments.value(0, "affix"), "\(TemplateText.string(name))() argument", at: location)
            if "removeprefix" ~= name { return .string(TemplateText.hasPrefix(text, affix) ? Array(text[affix.count...]) : text) }
            return .string(TemplateText.hasSuffix(text, affix) ? Array(text[..<(text.count - affix.count)]) : text)
        case "join":
            var result: [UInt8] = []
            for (index, item) in try iterate(arguments.value(0, "iterable") ?? .list([]), at: location).enumerated() {
                if index > 0 { result += text }
                result += try self.text(item, "join() item", at: location)
            }
            return .string(try checkedSize(result, at: location))
        case "format":
            return .string(try checkedSize(try format(text, arguments, at: location), at: location))
        case "isdigit", "isalpha", "isspace", "isupper", "islower", "isalnum":
            return .bool(Self.classify(name, text))
        default:
            return nil
        }
    }

    /// Python's `str.format` for plain fields: `{}`, `{0}`, `{name}`, `{!r}`, and `{{`/`}}`.
    /// Format specs (`{:>10}`) are not supported.
    private func format(_ text: [UInt8], _ arguments: CallArguments, at location: SourceLocation) throws(ChatTemplateError) -> [UInt8] {
        var result: [UInt8] = []
        var index = 0
        var nextAutomatic = 0
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "}") {
                guard index + 1 < text.count, text[index + 1] == byte else { throw failure("single '}' in format string", at: location) }
                result.append(byte)
                index += 2
                continue
            }
            guard byte == UInt8(ascii: "{") else { result.append(byte); index += 1; continue }
            if index + 1 < text.count && text[index + 1] == byte { result.append(byte); index += 2; continue }
            guard let close = TemplateText.find([UInt8(ascii: "}")], in: text, from: index) else {
                throw failure("single '{' in format string", at: location)
            }
            var field = Array(text[(index + 1)..<close])
            var representation = false
            if field.count >= 2 && field[field.count - 2] == UInt8(ascii: "!") {
                representation = field[field.count - 1] == UInt8(ascii: "r")
                field.removeLast(2)
            }
            if field.contains(UInt8(ascii: ":")) { throw failure("format specs in str.format are not supported", at: location) }
            let value: TemplateValue?
            if field.isEmpty {
                value = nextAutomatic < arguments.positional.count ? arguments.positional[nextAutomatic] : nil
                nextAutomatic += 1
            } else if let position = TemplateFormatting.parseInteger(field) {
                value = position >= 0 && position < arguments.positional.count ? arguments.positional[position] : nil
            } else {
                value = arguments.keywords.first { $0.name == field }?.value
            }
            guard let value else { throw failure("str.format has no value for '{\(TemplateText.string(field))}'", at: location) }
            if representation { value.appendRepresentation(to: &result) } else { result += value.text }
            index = close + 1
        }
        return result
    }

    /// Python's `str.splitlines()` boundaries.
    static func lines(of text: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        var index = 0
        while index < text.count {
            let (value, length) = TemplateText.scalar(in: text, at: index)
            switch value {
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
                lines.append(Array(text[start..<index]))
                index += length
                if value == 0x0D && index < text.count && text[index] == 0x0A { index += 1 }
                start = index
            default:
                index += length
            }
        }
        if start < text.count { lines.append(Array(text[start...])) }
        return lines
    }

    private static func classify(_ name: [UInt8], _ text: [UInt8]) -> Bool {
        let scalars = TemplateText.scalars(text)
        guard !scalars.isEmpty else { return false }
        switch name {
        case "isdigit": return scalars.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        case "isspace": return scalars.allSatisfy(TemplateText.isWhitespace)
        case "isalpha": return scalars.allSatisfy(TemplateFormatting.isLetterWithCase)
        case "isalnum": return scalars.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || TemplateFormatting.isLetterWithCase($0) }
        case "isupper":
            return scalars.contains { TemplateFormatting.lower($0) != $0 } && !scalars.contains { TemplateFormatting.upper($0) != $0 }
        default:
            return scalars.contains { TemplateFormatting.upper($0) != $0 } && !scalars.contains { TemplateFormatting.lower($0) != $0 }
        }
    }

    // MARK: Global functions

    func callBuiltin(_ function: BuiltinFunction, _ arguments: CallArguments, at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue {
        switch function {
        case .range:
            var bounds: [Int] = []
            for value in arguments.positional {
                guard let integer = value.number?.integer else { throw failure("range() arguments must be integers", at: location) }
                bounds.append(integer)
            }
            guard (1...3).contains(bounds.count) else { throw failure("range() takes 1 to 3 arguments", at: location) }
            let start = bounds.count == 1 ? 0 : bounds[0]
            let stop = bounds.count == 1 ? bounds[0] : bounds[1]
            let step = bounds.count == 3 ? bounds[2] : 1
            guard step != 0 else { throw failure("range() step must not be zero", at: location) }
            let span = step > 0 ? stop.subtractingReportingOverflow(start) : start.subtractingReportingOverflow(stop)
            let count = span.overflow ? Int.max
                : span.partialValue <= 0 ? 0 : (span.partialValue - 1) / step.magnitude.clampedToInt + 1
            guard count <= Self.maxCollectionCount else { throw limitFailure("range() of \(count) items is too long", at: location) }
            var items: [TemplateValue] = []
            items.reserveCapacity(count)
            for index in 0..<count { items.append(.int(start + index * step)) }
            return .list(items)
        case .namespace, .dict:
            var attributes = TemplateDictionary()
            if let initial = arguments.positional.first {
                guard case let .dictionary(dictionary) = initial else {
                    throw failure("\(function == .dict ? "dict" : "namespace")() takes a dict or keyword arguments", at: location)
                }
                attributes = dictionary
            }
            for keyword in arguments.keywords { attributes.set(.string(keyword.name), keyword.value) }
            return function == .dict ? .dictionary(attributes) : .namespace(TemplateNamespace(attributes: attributes))
        case .raiseException:
            throw .raised(TemplateText.string(arguments.value(0, "message")?.text ?? []))
        case .strftimeNow:
            return .string(TemplateFormatting.strftime(try text(arguments.value(0, "format"), "strftime_now() format", at: location)))
        }
    }
}

private extension UInt {
    var clampedToInt: Int { self > UInt(Int.max) ? Int.max : Int(self) }
}
