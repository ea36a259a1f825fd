/// A value inside a running template, with Python's semantics where templates rely on them
/// (truthiness, `1 == 1.0`, `str()` of lists and dicts), since chat templates are written
/// for Jinja2 on Python.
enum TemplateValue {
    /// Jinja's `Undefined`: falsy, prints as nothing, iterates as empty; most other uses
    /// are errors. Carries the name that was looked up, for the error message.
    case undefined([UInt8])
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string([UInt8])
    /// Lists, and tuples (which print as lists here).
    case list([TemplateValue])
    case dictionary(TemplateDictionary)
    case namespace(TemplateNamespace)
    case macro(MacroDefinition)
    case function(BuiltinFunction)
    case loop(LoopContext)

    static func string(_ text: String) -> TemplateValue { .string(TemplateText.bytes(text)) }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(value): return value
        case let .int(value): return value != 0
        case let .double(value): return value != 0
        case let .string(bytes): return !bytes.isEmpty
        case let .list(items): return !items.isEmpty
        case let .dictionary(dictionary): return !dictionary.entries.isEmpty
        case .namespace, .macro, .function, .loop: return true
        }
    }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .dictionary: return "dict"
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .function: return "function"
        case .loop: return "LoopContext"
        }
    }

    /// Python numbers: bools count as 0 and 1.
    var number: (integer: Int?, double: Double)? {
        switch self {
        case let .bool(value): return (value ? 1 : 0, value ? 1 : 0)
        case let .int(value): return (value, Double(value))
        case let .double(value): return (nil, value)
        default: return nil
        }
    }

    /// Python's `==`.
    func equals(_ other: TemplateValue) -> Bool {
        if let left = number, let right = other.number {
            if let a = left.integer, let b = right.integer { return a == b }
            return left.double == right.double
        }
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(a), .string(b)): return a == b
        case let (.list(a), .list(b)):
            guard a.count == b.count else { return false }
            for index in 0..<a.count where !a[index].equals(b[index]) { return false }
            return true
        case let (.dictionary(a), .dictionary(b)):
            guard a.entries.count == b.entries.count else { return false }
            for entry in a.entries {
                guard let value = b.value(for: entry.key), value.equals(entry.value) else { return false }
            }
            return true
        case let (.namespace(a), .namespace(b)): return a === b
        case let (.macro(a), .macro(b)): return a === b
        case let (.function(a), .function(b)): return a == b
        case let (.loop(a), .loop(b)): return a === b
        default: return false
        }
    }

    /// Python's ordering for `<`, `sort` and friends; nil when the types do not compare.
    func compare(_ other: TemplateValue) -> Int? {
        if let left = number, let right = other.number {
            if let a = left.integer, let b = right.integer { return a < b ? -1 : a == b ? 0 : 1 }
            if left.double.isNaN || right.double.isNaN { return nil }
            return left.double < right.double ? -1 : left.double == right.double ? 0 : 1
        }
        switch (self, other) {
        case let (.string(a), .string(b)):
            // UTF-8 byte order is code point order, which is Python's string order.
            for index in 0..<min(a.count, b.count) where a[index] != b[index] { return a[index] < b[index] ? -1 : 1 }
            return a.count < b.count ? -1 : a.count == b.count ? 0 : 1
        case let (.list(a), .list(b)):
            for index in 0..<min(a.count, b.count) where !a[index].equals(b[index]) { return a[index].compare(b[index]) }
            return a.count < b.count ? -1 : a.count == b.count ? 0 : 1
        default:
            return nil
        }
    }

    /// Python's `str()`, which is what `{{ value }}` prints.
    var text: [UInt8] {
        switch self {
        case .undefined: return []
        case let .string(bytes): return bytes
        default:
            var output: [UInt8] = []
            appendRepresentation(to: &output)
            return output
        }
    }

    /// Python's `repr()`, used inside printed lists and dicts.
    func appendRepresentation(to output: inout [UInt8]) {
        switch self {
        case .undefined: break
        case .none: output += TemplateText.bytes("None")
        case let .bool(value): output += TemplateText.bytes(value ? "True" : "False")
        case let .int(value): output += TemplateFormatting.integer(value)
        case let .double(value): output += TemplateFormatting.float(value)
        case let .string(bytes): Self.appendQuoted(bytes, to: &output)
        case let .list(items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output += [UInt8(ascii: ","), UInt8(ascii: " ")] }
                item.appendRepresentation(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case let .dictionary(dictionary):
            dictionary.appendRepresentation(to: &output)
        case let .namespace(namespace):
            output += TemplateText.bytes("<Namespace ")
            namespace.attributes.appendRepresentation(to: &output)
            output.append(UInt8(ascii: ">"))
        case let .macro(macro):
            output += TemplateText.bytes("<Macro '") + macro.name + TemplateText.bytes("'>")
        case .function: output += TemplateText.bytes("<built-in function>")
        case let .loop(loop):
            output += TemplateText.bytes("<LoopContext \(loop.index0 + 1)/\(loop.items.count)>")
        }
    }

    /// Python's string repr: single quotes unless the text has one and no double quote.
    static func appendQuoted(_ bytes: [UInt8], to output: inout [UInt8]) {
        let hasSingle = bytes.contains(UInt8(ascii: "'")), hasDouble = bytes.contains(UInt8(ascii: "\""))
        let quote = hasSingle && !hasDouble ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        output.append(quote)
        var index = 0
        while index < bytes.count {
            let (value, length) = TemplateText.scalar(in: bytes, at: index)
            switch value {
            case UInt32(quote), 0x5C: output += [0x5C, UInt8(value)]
            case 0x09: output += [0x5C, UInt8(ascii: "t")]
            case 0x0A: output += [0x5C, UInt8(ascii: "n")]
            case 0x0D: output += [0x5C, UInt8(ascii: "r")]
            case 0x00..<0x20, 0x7F...0xA0, 0xAD:
                output += [0x5C, UInt8(ascii: "x")] + hexDigits(value, width: 2)
            case 0x2000...0x200F, 0x2028...0x202F, 0x205F...0x206F, 0x1680, 0x3000, 0xFEFF, 0xD800...0xDFFF:
                // Python escapes separators and format characters it does not print.
                output += [0x5C, UInt8(ascii: "u")] + hexDigits(value, width: 4)
            default:
                output += bytes[index..<index + length]
            }
            index += length
        }
        output.append(quote)
    }

    static func hexDigits(_ value: UInt32, width: Int) -> [UInt8] {
        var digits: [UInt8] = []
        var rest = value
        for _ in 0..<width {
            let digit = UInt8(rest & 0xF)
            digits.insert(digit < 10 ? 48 + digit : 87 + digit, at: 0)
            rest >>= 4
        }
        return digits
    }
}

/// A Python dict: insertion-ordered, looked up linearly (template dicts are tiny, and this
/// avoids hashing strings, which needs Unicode tables under Embedded Swift).
struct TemplateDictionary {
    var entries: [(key: TemplateValue, value: TemplateValue)] = []

    func value(for key: TemplateValue) -> TemplateValue? {
        for entry in entries where entry.key.equals(key) { return entry.value }
        return nil
    }

    func value(named name: [UInt8]) -> TemplateValue? {
        for entry in entries {
            if case let .string(key) = entry.key, key == name { return entry.value }
        }
        return nil
    }

    mutating func set(_ key: TemplateValue, _ value: TemplateValue) {
        for index in entries.indices where entries[index].key.equals(key) {
            entries[index].value = value
            return
        }
        entries.append((key, value))
    }

    func appendRepresentation(to output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        for (index, entry) in entries.enumerated() {
            if index > 0 { output += [UInt8(ascii: ","), UInt8(ascii: " ")] }
            entry.key.appendRepresentation(to: &output)
            output += [UInt8(ascii: ":"), UInt8(ascii: " ")]
            entry.value.appendRepresentation(to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }
}

/// Jinja's `namespace()`: the one mutable object, so a loop body can carry state out
/// (`{% set ns.found = true %}`); shared by reference like the Python object.
final class TemplateNamespace {
    var attributes: TemplateDictionary

    init(attributes: TemplateDictionary) { self.attributes = attributes }
}

/// The `loop` variable inside a `for` body.
final class LoopContext {
    let items: [TemplateValue]
    var index0 = 0
    let depth0: Int

    init(items: [TemplateValue], depth0: Int) {
        self.items = items
        self.depth0 = depth0
    }

    func attribute(_ name: [UInt8]) -> TemplateValue? {
        let length = items.count
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(length - index0)
        case "revindex0": return .int(length - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == length - 1)
        case "length": return .int(length)
        case "depth": return .int(depth0 + 1)
        case "depth0": return .int(depth0)
        case "previtem": return index0 > 0 ? items[index0 - 1] : .undefined(name)
        case "nextitem": return index0 + 1 < length ? items[index0 + 1] : .undefined(name)
        default: return nil
        }
    }
}

/// The global functions a template can call.
enum BuiltinFunction: Equatable {
    case range, namespace, dict, raiseException, strftimeNow

    static func named(_ name: [UInt8]) -> BuiltinFunction? {
        switch name {
        case "range": return .range
        case "namespace": return .namespace
        case "dict": return .dict
        case "raise_exception": return .raiseException
        case "strftime_now": return .strftimeNow
        default: return nil
        }
    }
}
