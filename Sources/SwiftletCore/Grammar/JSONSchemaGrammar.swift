/// Why a schema cannot become a grammar: what is wrong, and where, as a JSON pointer into
/// the schema (`/properties/age`; "" for the schema itself).
public struct SchemaError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public let path: String

    public init(_ message: String, path: String) {
        self.message = message
        self.path = path
    }

    public var description: String { path.isEmpty ? "schema: \(message)" : "at \(path): \(message)" }
}

/// JSON Schema → GBNF for structured output (OpenAI's `response_format`). The grammar's
/// `root` generates JSON texts valid against the schema, compact or spaced, with bounded
/// whitespace and number lengths so a model cannot run on forever, and nothing after the
/// value, so the end of the value is the end of the answer.
///
/// The subset: `type` (one or a list), `properties` (generated in order; required ones
/// always, optional ones may be left out), `required`, `additionalProperties` (extra
/// members only where no properties are declared: their keys could not be kept apart
/// from the declared ones), `items`, `minItems`, `maxItems`, `enum`, `const`, `minLength`,
/// `maxLength`, `pattern` (see `SchemaPatternParser`), `format` (date, time, date-time,
/// uuid), `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (exact; whole-number
/// bounds for `number`), `anyOf`, `oneOf` (an alternation: exclusivity is not enforced),
/// local `$ref` (recursion allowed), `$defs`, `definitions`, and annotations, which are
/// ignored. Any other keyword is an error naming it, never silently dropped. Where the
/// schema leaves a choice open (no `type`, an undeclared property) the grammar generates a
/// valid subset: `properties` implies an object, `minLength` a string, and so on.
public enum JSONSchemaGrammar {
    /// GBNF text whose root rule generates exactly compact-or-spaced JSON texts valid
    /// against `schema` (JSON text, UTF-8).
    public static func gbnf(schema: [UInt8]) throws(SchemaError) -> [UInt8] {
        try gbnf(schema: try JSONDocument.parse(schema))
    }

    public static func gbnf(schema: JSONDocument) throws(SchemaError) -> [UInt8] {
        var converter = SchemaConverter(root: schema)
        return try converter.convert()
    }

    /// Any JSON object (OpenAI's `response_format: {"type": "json_object"}`).
    public static let anyObject: [UInt8] = {
        var converter = SchemaConverter(root: .bool(true))
        let object = converter.primitive("object")
        converter.rules.insert((Array("root".utf8), object), at: 0)
        return converter.text()
    }()
}

/// One conversion: rules are collected in the order they are first needed, `root` first,
/// and a body written twice becomes one rule.
struct SchemaConverter {
    /// The types `type` names, in the order a schema without `type` tries them.
    enum ValueType: CaseIterable {
        case object, array, string, number, integer, boolean, null

        var name: String {
            switch self {
            case .object: return "object"
            case .array: return "array"
            case .string: return "string"
            case .number: return "number"
            case .integer: return "integer"
            case .boolean: return "boolean"
            case .null: return "null"
            }
        }
    }

    /// What a keyword does here: ignored, a container of schemas, or the values it shapes.
    enum KeywordRole: Equatable {
        case annotation, definitions, reference, alternatives, enumeration, type
        case constrains(ValueType)
    }

    static let keywords: [(name: [UInt8], role: KeywordRole)] = {
        let table: [(String, KeywordRole)] = [
            ("title", .annotation), ("description", .annotation), ("$schema", .annotation), ("$id", .annotation),
            ("examples", .annotation), ("default", .annotation), ("$comment", .annotation),
            ("deprecated", .annotation), ("readOnly", .annotation), ("writeOnly", .annotation),
            ("$defs", .definitions), ("definitions", .definitions), ("$ref", .reference),
            ("anyOf", .alternatives), ("oneOf", .alternatives), ("enum", .enumeration), ("const", .enumeration),
            ("type", .type),
            ("properties", .constrains(.object)), ("required", .constrains(.object)),
            ("additionalProperties", .constrains(.object)),
            ("items", .constrains(.array)), ("minItems", .constrains(.array)), ("maxItems", .constrains(.array)),
            ("minLength", .constrains(.string)), ("maxLength", .constrains(.string)), ("pattern", .constrains(.string)),
            ("format", .constrains(.string)),
            ("minimum", .constrains(.number)), ("maximum", .constrains(.number)),
            ("exclusiveMinimum", .constrains(.number)), ("exclusiveMaximum", .constrains(.number)),
        ]
        return table.map { (Array($0.0.utf8), $0.1) }
    }()

    /// The shared rules, written once each when first used. Their names are kept from
    /// schema-derived rules, which take a suffix instead.
    static let primitives: [(name: String, body: String, uses: [String])] = [
        ("ws", #"| " " | "\n" [ \t]{0,20}"#, []),
        ("char", #"[^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} )"#, []),
        ("string", #""\"" char* "\"""#, ["char"]),
        ("integer", #""-"? ( "0" | [1-9] [0-9]{0,15} )"#, []),
        ("number", #""-"? ( "0" | [1-9] [0-9]{0,15} ) ( "." [0-9]{1,16} )? ( [eE] [+\-]? [0-9]{1,3} )?"#, []),
        ("boolean", #""true" | "false""#, []),
        ("null", #""null""#, []),
        ("value", "object | array | string | number | boolean | null", ["object", "array", "string", "number", "boolean", "null"]),
        ("object", #""{" ws ( string ws ":" ws value ws ( "," ws string ws ":" ws value ws )* )? "}""#, ["ws", "string", "value"]),
        ("array", #""[" ws ( value ws ( "," ws value ws )* )? "]""#, ["ws", "value"]),
        // Years 1000 on, days by month, February to the 28th: every date written is a real one.
        ("date", #"[1-9] [0-9]{3} "-" ( ( "0" [13578] | "1" [02] ) "-" ( "0" [1-9] | [12] [0-9] | "3" [01] ) | ( "0" [469] | "11" ) "-" ( "0" [1-9] | [12] [0-9] | "30" ) | "02-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] ) )"#, []),
        ("time", #"( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,9} )? ( "Z" | [+\-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] )"#, []),
        ("uuid", #"[0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}"#, []),
    ]

    /// Deep enough for real schemas; keeps the recursion inside the wasm module's stack.
    static let maxDepth = 100

    private let root: JSONDocument
    var rules: [(name: [UInt8], body: [UInt8])] = []
    private var names: Set<[UInt8]>
    private var ruleForBody: [[UInt8]: [UInt8]] = [:]
    private var ruleForReference: [[UInt8]: [UInt8]] = [:]
    /// `$ref`s met before any text of the referring rule is written: a cycle of them is
    /// left recursion, which the grammar engine rejects.
    private var headReferences: [(from: [UInt8], to: [UInt8], path: String)] = []
    /// The `$ref` rule (or root) whose first element is being written; nil once inside an
    /// object or array, where text has been written.
    private var headOwner: [UInt8]? = nil
    private var depth = 0

    init(root: JSONDocument) {
        self.root = root
        names = Set(Self.primitives.map { Array($0.name.utf8) } + [Array("root".utf8)])
    }

    mutating func convert() throws(SchemaError) -> [UInt8] {
        let rootName = Array("root".utf8)
        rules.append((rootName, []))
        headOwner = rootName
        rules[0].body = try body(of: root, path: "", hint: rootName)
        headOwner = nil
        try checkLeftRecursion()
        // Definitions nothing refers to still must be convertible: an error is never dropped.
        for container in ["$defs", "definitions"] {
            guard case let .object(definitions)? = root.member(container) else { continue }
            for definition in definitions {
                let pointer = Array("#/\(container)/".utf8) + Self.pointerEscaped(definition.key)
                guard ruleForReference[pointer] == nil else { continue }
                var probe = self
                _ = try probe.referencedRule(.string(pointer), path: "/\(container)")
                try probe.checkLeftRecursion()
            }
        }
        return text()
    }

    func text() -> [UInt8] {
        var output: [UInt8] = []
        for rule in rules {
            var body = rule.body
            while body.last == UInt8(ascii: " ") { body.removeLast() }
            output += rule.name + Array(" ::= ".utf8) + body + [0x0A]
        }
        return output
    }

    // MARK: - Rules

    /// The name of a shared rule, writing it (and what it uses) the first time.
    mutating func primitive(_ name: String) -> [UInt8] {
        let nameBytes = Array(name.utf8)
        guard !rules.contains(where: { $0.name == nameBytes }),
              let primitive = Self.primitives.first(where: { $0.name == name }) else { return nameBytes }
        let body = Array(primitive.body.utf8)
        rules.append((nameBytes, body))
        ruleForBody[body] = nameBytes
        for used in primitive.uses { _ = self.primitive(used) }
        return nameBytes
    }

    /// A rule for `body`, named from `hint`: an existing rule when one has this body, the
    /// body itself when it is just a rule name.
    mutating func define(_ hint: [UInt8], _ body: [UInt8]) -> [UInt8] {
        if !body.isEmpty && body.allSatisfy(Self.isNameByte) { return body }
        if let existing = ruleForBody[body] { return existing }
        let name = uniqueName(hint)
        rules.append((name, body))
        ruleForBody[body] = name
        return name
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): return true
        default: return false
        }
    }

    /// `hint` with every byte GBNF names cannot hold as `-`, made unique by a number.
    private mutating func uniqueName(_ hint: [UInt8]) -> [UInt8] {
        var base: [UInt8] = []
        for byte in hint {
            let kept = Self.isNameByte(byte) ? byte : UInt8(ascii: "-")
            if kept == UInt8(ascii: "-") && base.last == UInt8(ascii: "-") { continue }
            base.append(kept)
        }
        while base.last == UInt8(ascii: "-") { base.removeLast() }
        while base.first == UInt8(ascii: "-") { base.removeFirst() }
        if base.isEmpty { base = Array("value".utf8) }
        var name = base
        var number = 2
        while names.contains(name) {
            name = base + Array("-\(number)".utf8)
            number += 1
        }
        names.insert(name)
        return name
    }

    private static func pointerEscaped(_ key: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        for byte in key {
            switch byte {
            case UInt8(ascii: "~"): output += Array("~0".utf8)
            case UInt8(ascii: "/"): output += Array("~1".utf8)
            default: output.append(byte)
            }
        }
        return output
    }

    private static func childPath(_ path: String, _ keys: String...) -> String {
        var result = path
        for key in keys { result += "/" + String(decoding: pointerEscaped(Array(key.utf8)), as: UTF8.self) }
        return result
    }

    private static func childPath(_ path: String, key: [UInt8]) -> String {
        path + "/" + String(decoding: pointerEscaped(key), as: UTF8.self)
    }

    private static func hint(_ base: [UInt8], _ suffix: String) -> [UInt8] { base + Array("-\(suffix)".utf8) }

    // MARK: - Schemas

    /// A rule name standing for `schema`.
    private mutating func reference(to schema: JSONDocument, path: String, hint: [UInt8]) throws(SchemaError) -> [UInt8] {
        define(hint, try body(of: schema, path: path, hint: hint))
    }

    /// The alternatives generating the values `schema` allows.
    private mutating func body(of schema: JSONDocument, path: String, hint: [UInt8]) throws(SchemaError) -> [UInt8] {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw SchemaError("schemas nest deeper than \(Self.maxDepth) levels", path: path) }
        let members: [(key: [UInt8], value: JSONDocument)]
        switch schema {
        case .bool(true): return primitive("value")
        case .bool(false): throw SchemaError("the schema false allows no value", path: path)
        case let .object(found): members = found
        default: throw SchemaError("a schema must be an object or a boolean", path: path)
        }
        var constraining: [(key: [UInt8], role: KeywordRole)] = []
        for (index, member) in members.enumerated() {
            let keyName = String(decoding: member.key, as: UTF8.self)
            guard !members[..<index].contains(where: { $0.key == member.key }) else {
                throw SchemaError("duplicate keyword \"\(keyName)\"", path: path)
            }
            guard let role = Self.keywords.first(where: { $0.name == member.key })?.role else {
                throw SchemaError("unsupported keyword \"\(keyName)\"", path: path)
            }
            switch role {
            case .annotation: break
            case .definitions:
                guard case .object = member.value else { throw SchemaError("\(keyName) must be an object of schemas", path: path) }
            default: constraining.append((member.key, role))
            }
        }
        func others(than roles: [KeywordRole]) -> String? {
            let names = constraining.filter { !roles.contains($0.role) }.map { String(decoding: $0.key, as: UTF8.self) }
            return names.isEmpty ? nil : names.joined(separator: ", ")
        }

        if let target = schema.member("$ref") {
            if let extra = others(than: [.reference]) {
                throw SchemaError("$ref beside other keywords (\(extra)) is not supported", path: path)
            }
            return try referencedRule(target, path: path)
        }
        if constraining.contains(where: { $0.role == .alternatives }) {
            return try alternativesBody(schema, constraining: constraining, extra: others(than: [.alternatives]), path: path, hint: hint)
        }
        if constraining.contains(where: { $0.role == .enumeration }) {
            if let extra = others(than: [.enumeration, .type]) {
                throw SchemaError("enum and const beside \(extra) are not supported", path: path)
            }
            return try enumerationBody(schema, path: path)
        }

        let present = constraining.compactMap { entry -> (key: [UInt8], type: ValueType)? in
            if case let .constrains(type) = entry.role { return (entry.key, type) }
            return nil
        }
        let types: [ValueType]
        if let declared = schema.member("type") {
            types = try Self.valueTypes(declared, path: path)
            for keyword in present where !types.contains(where: { $0 == keyword.type || ($0 == .integer && keyword.type == .number) }) {
                throw SchemaError("\(String(decoding: keyword.key, as: UTF8.self)) applies to \(keyword.type.name) values, but type does not include \(keyword.type.name)", path: path)
            }
        } else {
            types = ValueType.allCases.filter { type in present.contains { $0.type == type } }
            if types.isEmpty { return primitive("value") }
        }
        var alternatives: [[UInt8]] = []
        for type in types {
            let alternative = try typeBody(type, schema, path: path, hint: types.count == 1 ? hint : Self.hint(hint, type.name))
            if !alternatives.contains(alternative) { alternatives.append(alternative) }
        }
        return SchemaGBNF.joined(alternatives, " | ")
    }

    private static func valueTypes(_ declared: JSONDocument, path: String) throws(SchemaError) -> [ValueType] {
        var names: [[UInt8]] = []
        switch declared {
        case let .string(name): names = [name]
        case let .array(items) where !items.isEmpty:
            for case let .string(name) in items { names.append(name) }
            guard names.count == items.count else { throw SchemaError("type must be a string or an array of strings", path: path) }
        default: throw SchemaError("type must be a string or a non-empty array of strings", path: path)
        }
        var types: [ValueType] = []
        for name in names {
            guard let type = ValueType.allCases.first(where: { Array($0.name.utf8) == name }) else {
                throw SchemaError("unknown type \"\(String(decoding: name, as: UTF8.self))\"", path: path)
            }
            if !types.contains(type) { types.append(type) }
        }
        return types
    }

    private mutating func typeBody(_ type: ValueType, _ schema: JSONDocument, path: String, hint: [UInt8]) throws(SchemaError) -> [UInt8] {
        switch type {
        case .null: return primitive("null")
        case .boolean: return primitive("boolean")
        case .string: return try stringBody(schema, path: path)
        case .integer: return try integerBody(schema, path: path)
        case .number: return try numberBody(schema, path: path)
        case .array: return try arrayBody(schema, path: path, hint: hint)
        case .object: return try objectBody(schema, path: path, hint: hint)
        }
    }

    // MARK: References and alternatives

    /// The rule of a local `$ref` ("#" or a JSON pointer from it), converted when first met.
    private mutating func referencedRule(_ target: JSONDocument, path: String) throws(SchemaError) -> [UInt8] {
        guard case let .string(pointer) = target else { throw SchemaError("$ref must be a string", path: path) }
        let pointerText = String(decoding: pointer, as: UTF8.self)
        guard pointer.first == UInt8(ascii: "#") else {
            throw SchemaError("$ref \"\(pointerText)\": only references inside the schema (#/...) are supported", path: path)
        }
        if pointer.count == 1 { ruleForReference[pointer] = Array("root".utf8) }
        if let existing = ruleForReference[pointer] {
            if let owner = headOwner { headReferences.append((owner, existing, path)) }
            return existing
        }
        guard pointer.count > 1 && pointer[1] == UInt8(ascii: "/") else {
            throw SchemaError("$ref \"\(pointerText)\" is not a JSON pointer (#/...)", path: path)
        }
        var resolved: JSONDocument? = root
        var lastSegment: [UInt8] = []
        for segment in pointer[2...].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            lastSegment = Self.pointerUnescaped(Array(segment))
            switch resolved {
            case let .object(members)?: resolved = members.first(where: { $0.key == lastSegment })?.value
            case let .array(items)?:
                let index = Int(String(decoding: lastSegment, as: UTF8.self)) ?? -1
                resolved = items.indices.contains(index) ? items[index] : nil
            default: resolved = nil
            }
        }
        guard let resolved else { throw SchemaError("$ref \"\(pointerText)\" points to nothing in the schema", path: path) }
        let name = uniqueName(lastSegment)
        ruleForReference[pointer] = name
        let slot = rules.count
        rules.append((name, []))
        if let owner = headOwner { headReferences.append((owner, name, path)) }
        let savedOwner = headOwner
        headOwner = name
        defer { headOwner = savedOwner }
        let body = try body(of: resolved, path: String(decoding: pointer[1...], as: UTF8.self), hint: name)
        rules[slot].body = body
        if ruleForBody[body] == nil { ruleForBody[body] = name }
        return name
    }

    private static func pointerUnescaped(_ segment: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < segment.count {
            if segment[index] == UInt8(ascii: "~") && index + 1 < segment.count {
                output.append(segment[index + 1] == UInt8(ascii: "1") ? UInt8(ascii: "/") : UInt8(ascii: "~"))
                index += 2
            } else {
                output.append(segment[index])
                index += 1
            }
        }
        return output
    }

    /// A cycle of `$ref`s reached before any text (through anyOf or a bare `$ref`) would be
    /// left recursion: reported at the reference that closes it.
    private func checkLeftRecursion() throws(SchemaError) {
        var state: [[UInt8]: Bool] = [:]  // false: being visited, true: done
        func visit(_ rule: [UInt8]) throws(SchemaError) {
            state[rule] = false
            for edge in headReferences where edge.from == rule {
                switch state[edge.to] {
                case false?:
                    throw SchemaError("$ref loops back to \(String(decoding: edge.to, as: UTF8.self)) before any text is written (left recursion)", path: edge.path)
                case true?: continue
                case nil: try visit(edge.to)
                }
            }
            state[rule] = true
        }
        for edge in headReferences where state[edge.from] == nil { try visit(edge.from) }
    }

    private mutating func alternativesBody(_ schema: JSONDocument, constraining: [(key: [UInt8], role: KeywordRole)], extra: String?,
                                           path: String, hint: [UInt8]) throws(SchemaError) -> [UInt8] {
        let keyword = constraining.first(where: { $0.role == .alternatives })!.key
        let keywordName = String(decoding: keyword, as: UTF8.self)
        if let extra { throw SchemaError("\(keywordName) beside other keywords (\(extra)) is not supported", path: path) }
        guard case let .array(branches)? = schema.member(keywordName), !branches.isEmpty else {
            throw SchemaError("\(keywordName) must be a non-empty array of schemas", path: path)
        }
        var alternatives: [[UInt8]] = []
        for (index, branch) in branches.enumerated() {
            let rule = try reference(to: branch, path: Self.childPath(path, keywordName, "\(index)"), hint: Self.hint(hint, "\(index)"))
            if !alternatives.contains(rule) { alternatives.append(rule) }
        }
        return SchemaGBNF.joined(alternatives, " | ")
    }

    private func enumerationBody(_ schema: JSONDocument, path: String) throws(SchemaError) -> [UInt8] {
        var values: [JSONDocument]
        if let listed = schema.member("enum") {
            guard case let .array(items) = listed, !items.isEmpty else { throw SchemaError("enum must be a non-empty array", path: path) }
            values = items
            if let constant = schema.member("const") {
                values = values.filter { $0 == constant }
                if values.isEmpty { throw SchemaError("const is not one of the enum values", path: path) }
            }
        } else {
            values = [schema.member("const")!]
        }
        if let declared = schema.member("type") {
            let types = try Self.valueTypes(declared, path: path)
            values = values.filter { value in types.contains { Self.value(value, hasType: $0) } }
            if values.isEmpty { throw SchemaError("no enum or const value has the declared type", path: path) }
        }
        var literals: [[UInt8]] = []
        for value in values {
            try Self.checkNumbers(in: value, path: path)
            var text: [UInt8] = []
            value.appendCompact(to: &text)
            let literal = SchemaGBNF.literal(text)
            if !literals.contains(literal) { literals.append(literal) }
        }
        return SchemaGBNF.joined(literals, " | ")
    }

    private static func value(_ value: JSONDocument, hasType type: ValueType) -> Bool {
        switch (value, type) {
        case (.null, .null), (.bool, .boolean), (.string, .string), (.array, .array), (.object, .object), (.number, .number):
            return true
        case let (.number(text, _), .integer): return SchemaDecimal(text).map { !$0.hasFraction } ?? false
        default: return false
        }
    }

    /// A document built in code may hold any number text; a literal must be real JSON.
    private static func checkNumbers(in value: JSONDocument, path: String) throws(SchemaError) {
        switch value {
        case let .number(text, _):
            var reader = JSONDocumentParser(text: text)
            guard case .number? = try? reader.parseValue(depth: 0), reader.offset == text.count else {
                throw SchemaError("\"\(String(decoding: text, as: UTF8.self))\" is not a JSON number", path: path)
            }
        case let .array(items): for item in items { try checkNumbers(in: item, path: path) }
        case let .object(members): for member in members { try checkNumbers(in: member.value, path: path) }
        default: break
        }
    }

    // MARK: Strings

    private mutating func stringBody(_ schema: JSONDocument, path: String) throws(SchemaError) -> [UInt8] {
        let quote = SchemaGBNF.literal([UInt8(ascii: "\"")])
        let minimum = try Self.count("minLength", in: schema, path: path)
        let maximum = try Self.count("maxLength", in: schema, path: path)
        if let format = schema.member("format") {
            guard case let .string(name) = format else { throw SchemaError("format must be a string", path: path) }
            guard schema.member("pattern") == nil && minimum == nil && maximum == nil else {
                throw SchemaError("format beside pattern, minLength or maxLength is not supported", path: path)
            }
            switch String(decoding: name, as: UTF8.self) {
            case "date": return SchemaGBNF.sequence(quote, primitive("date"), quote)
            case "time": return SchemaGBNF.sequence(quote, primitive("time"), quote)
            case "date-time": return SchemaGBNF.sequence(quote, primitive("date"), SchemaGBNF.literal("T".utf8), primitive("time"), quote)
            case "uuid": return SchemaGBNF.sequence(quote, primitive("uuid"), quote)
            case let other:
                throw SchemaError("unsupported format \"\(other)\" (supported: date, time, date-time, uuid)", path: path)
            }
        }
        if let pattern = schema.member("pattern") {
            guard case let .string(source) = pattern else { throw SchemaError("pattern must be a string", path: path) }
            guard minimum == nil && maximum == nil else {
                throw SchemaError("pattern beside minLength or maxLength is not supported", path: path)
            }
            var parser = SchemaPatternParser(pattern: source)
            do throws(SchemaPatternFailure) {
                let fragment = try parser.parse()
                return SchemaGBNF.sequence(quote, fragment.shape == .alternation ? fragment.element : fragment.text, quote)
            } catch {
                throw SchemaError(error.message, path: path)
            }
        }
        if let minimum, let maximum, minimum > maximum {
            throw SchemaError("minLength \(minimum) is above maxLength \(maximum)", path: path)
        }
        if (minimum ?? 0) == 0 && maximum == nil { return primitive("string") }
        return SchemaGBNF.sequence(quote, SchemaGBNF.repeated(primitive("char"), minimum: minimum ?? 0, maximum: maximum), quote)
    }

    /// A count keyword (minLength, maxItems…): nil when absent.
    private static func count(_ keyword: String, in schema: JSONDocument, path: String) throws(SchemaError) -> Int? {
        guard let value = schema.member(keyword) else { return nil }
        guard case let .number(text, _) = value, let decimal = SchemaDecimal(text), let integer = decimal.exactInteger,
              integer >= 0, integer <= GrammarParser.maxRepetition else {
            // Counts become GBNF repetitions, which the engine copies out up to its limit.
            throw SchemaError("\(keyword) must be a non-negative integer (at most \(GrammarParser.maxRepetition), the grammar's repetition limit)", path: path)
        }
        return Int(integer)
    }

    // MARK: Numbers

    /// The bounds as written: each value with whether it is excluded.
    private static func bounds(_ schema: JSONDocument, path: String)
        throws(SchemaError) -> (lower: [(SchemaDecimal, Bool, String)], upper: [(SchemaDecimal, Bool, String)]) {
        var lower: [(SchemaDecimal, Bool, String)] = []
        var upper: [(SchemaDecimal, Bool, String)] = []
        for (keyword, isLower, exclusive) in [("minimum", true, false), ("maximum", false, false),
                                              ("exclusiveMinimum", true, true), ("exclusiveMaximum", false, true)] {
            guard let value = schema.member(keyword) else { continue }
            switch value {
            case let .number(text, _):
                guard let decimal = SchemaDecimal(text) else {
                    throw SchemaError("\(keyword) \(String(decoding: text, as: UTF8.self)) is out of range", path: path)
                }
                if isLower { lower.append((decimal, exclusive, keyword)) } else { upper.append((decimal, exclusive, keyword)) }
            case let .bool(flag) where exclusive:
                // Draft 4: a flag that makes minimum or maximum exclusive.
                let plain = isLower ? "minimum" : "maximum"
                guard schema.member(plain) != nil else { throw SchemaError("\(keyword): true needs \(plain)", path: path) }
                if flag {
                    if isLower { lower[0].1 = true } else { upper[0].1 = true }
                }
            default:
                throw SchemaError("\(keyword) must be a number", path: path)
            }
        }
        return (lower, upper)
    }

    private mutating func integerBody(_ schema: JSONDocument, path: String) throws(SchemaError) -> [UInt8] {
        let (lower, upper) = try Self.bounds(schema, path: path)
        var low: Int64? = nil
        var high: Int64? = nil
        for (decimal, exclusive, keyword) in lower {
            // The least integer allowed: ⌈m⌉, or ⌊m⌋ + 1 when m is excluded.
            guard let bound = exclusive ? decimal.floor.flatMap({ $0 == .max ? nil : $0 + 1 }) : decimal.ceiling else {
                throw SchemaError("\(keyword) is out of the 64-bit integer range", path: path)
            }
            low = max(low ?? bound, bound)
        }
        for (decimal, exclusive, keyword) in upper {
            guard let bound = exclusive ? decimal.ceiling.flatMap({ $0 == .min ? nil : $0 - 1 }) : decimal.floor else {
                throw SchemaError("\(keyword) is out of the 64-bit integer range", path: path)
            }
            high = min(high ?? bound, bound)
        }
        if let low, let high, low > high { throw SchemaError("no integer lies between the bounds", path: path) }
        if low == nil && high == nil { return primitive("integer") }
        return SchemaNumberGrammar.integers(low: low, high: high)
    }

    private mutating func numberBody(_ schema: JSONDocument, path: String) throws(SchemaError) -> [UInt8] {
        let (lower, upper) = try Self.bounds(schema, path: path)
        if lower.isEmpty && upper.isEmpty { return primitive("number") }
        func wholeBounds(_ found: [(SchemaDecimal, Bool, String)], tighter: (Int64, Int64) -> Bool) throws(SchemaError) -> SchemaBound? {
            var chosen: SchemaBound? = nil
            for (decimal, exclusive, keyword) in found {
                guard let value = decimal.exactInteger else {
                    throw SchemaError("\(keyword) must be a whole number for type number (fractional bounds are not supported; use type integer or a whole bound)", path: path)
                }
                let bound = SchemaBound(value: value, exclusive: exclusive)
                if let current = chosen, !(tighter(value, current.value) || (value == current.value && exclusive)) { continue }
                chosen = bound
            }
            return chosen
        }
        let low = try wholeBounds(lower, tighter: >)
        let high = try wholeBounds(upper, tighter: <)
        guard let body = SchemaNumberGrammar.numbers(lower: low, upper: high) else {
            throw SchemaError("no number lies between the bounds", path: path)
        }
        return body
    }

    // MARK: Arrays and objects

    private mutating func arrayBody(_ schema: JSONDocument, path: String, hint: [UInt8]) throws(SchemaError) -> [UInt8] {
        let savedOwner = headOwner
        headOwner = nil  // after "[", text has been written
        defer { headOwner = savedOwner }
        let ws = primitive("ws")
        let minimum = try Self.count("minItems", in: schema, path: path) ?? 0
        let maximum = try Self.count("maxItems", in: schema, path: path)
        if let maximum, minimum > maximum { throw SchemaError("minItems \(minimum) is above maxItems \(maximum)", path: path) }
        let empty = SchemaGBNF.sequence(SchemaGBNF.literal("[".utf8), ws, SchemaGBNF.literal("]".utf8))
        let item: [UInt8]
        switch schema.member("items") {
        case nil, .bool(true)?: item = primitive("value")
        case .bool(false)?:
            guard minimum == 0 else { throw SchemaError("items false allows no item, but minItems is \(minimum)", path: path) }
            return empty
        case .array?: throw SchemaError("items as an array (tuples) is not supported", path: path)
        case let items?: item = try reference(to: items, path: Self.childPath(path, "items"), hint: Self.hint(hint, "item"))
        }
        if maximum == 0 { return empty }
        if minimum == 0 && maximum == nil && item == Array("value".utf8) { return primitive("array") }
        let more = Array("( \",\" ".utf8) + SchemaGBNF.sequence(ws, item, ws) + Array(" )".utf8)
        let rest = SchemaGBNF.repeated(more, minimum: max(minimum - 1, 0), maximum: maximum.map { $0 - 1 })
        let items = SchemaGBNF.sequence(item, ws, rest)
        let open = SchemaGBNF.sequence(SchemaGBNF.literal("[".utf8), ws)
        let close = SchemaGBNF.literal("]".utf8)
        if minimum == 0 { return SchemaGBNF.sequence(open, Array("( ".utf8) + items + Array(" )?".utf8), close) }
        return SchemaGBNF.sequence(open, items, close)
    }

    private mutating func objectBody(_ schema: JSONDocument, path: String, hint: [UInt8]) throws(SchemaError) -> [UInt8] {
        let savedOwner = headOwner
        headOwner = nil  // after "{", text has been written
        defer { headOwner = savedOwner }
        var properties: [(key: [UInt8], value: JSONDocument)] = []
        switch schema.member("properties") {
        case nil: break
        case let .object(members)?: properties = members
        default: throw SchemaError("properties must be an object of schemas", path: path)
        }
        var required: [[UInt8]] = []
        switch schema.member("required") {
        case nil: break
        case let .array(items)?:
            for item in items {
                guard case let .string(name) = item else { throw SchemaError("required must be an array of strings", path: path) }
                if !required.contains(name) { required.append(name) }
            }
        default: throw SchemaError("required must be an array of strings", path: path)
        }
        let additional = schema.member("additionalProperties")
        switch additional {
        case nil, .bool?, .object?: break
        default: throw SchemaError("additionalProperties must be a boolean or a schema", path: path)
        }

        // The members to write: declared properties in order, then required names that
        // only additionalProperties allows.
        var members: [(key: [UInt8], schema: JSONDocument, path: String, required: Bool)] = []
        for (index, property) in properties.enumerated() {
            let keyName = String(decoding: property.key, as: UTF8.self)
            guard !properties[..<index].contains(where: { $0.key == property.key }) else {
                throw SchemaError("duplicate property \"\(keyName)\"", path: Self.childPath(path, "properties"))
            }
            let isRequired = required.contains(property.key)
            if property.value == .bool(false) {
                if isRequired { throw SchemaError("required property \"\(keyName)\" has the schema false", path: path) }
                continue
            }
            let propertyPath = Self.childPath(Self.childPath(path, "properties"), key: property.key)
            members.append((property.key, property.value, propertyPath, isRequired))
        }
        for name in required where !properties.contains(where: { $0.key == name }) {
            if additional == .bool(false) {
                throw SchemaError("required property \"\(String(decoding: name, as: UTF8.self))\" is not in properties, and additionalProperties is false", path: path)
            }
            var extraSchema = JSONDocument.bool(true)
            if case .object? = additional { extraSchema = additional! }
            members.append((name, extraSchema, Self.childPath(path, "additionalProperties"), true))
        }

        let ws = primitive("ws")
        let open = SchemaGBNF.sequence(SchemaGBNF.literal("{".utf8), ws)
        let close = SchemaGBNF.literal("}".utf8)
        if members.isEmpty {
            switch additional {
            case .bool(false)?: return SchemaGBNF.sequence(open, close)
            case let extra?:
                let value = try reference(to: extra, path: Self.childPath(path, "additionalProperties"), hint: Self.hint(hint, "value"))
                if value == Array("value".utf8) { return primitive("object") }
                let member = SchemaGBNF.sequence(primitive("string"), ws, SchemaGBNF.literal(":".utf8), ws, value, ws)
                let more = Array("( \",\" ".utf8) + SchemaGBNF.sequence(ws, member) + Array(" )*".utf8)
                return SchemaGBNF.sequence(open, Array("( ".utf8) + SchemaGBNF.sequence(member, more) + Array(" )?".utf8), close)
            case nil: return primitive("object")
            }
        }

        // Written back to front: `after` is what may follow property i once something is
        // written ("," first), `start` what may follow when nothing is yet (needed only up
        // to the first required property); an optional property is a rule choosing to
        // write it or skip it.
        var values: [[UInt8]] = []
        for member in members { values.append(try reference(to: member.schema, path: member.path, hint: member.key)) }
        let firstRequired = members.firstIndex(where: { $0.required }) ?? members.count
        let comma = SchemaGBNF.sequence(SchemaGBNF.literal(",".utf8), ws)
        var after: [UInt8] = []
        var start: [UInt8] = []
        for index in members.indices.reversed() {
            let member = members[index]
            let value = values[index]
            var quotedKey: [UInt8] = []
            JSONText.appendString(member.key, to: &quotedKey)
            let written = SchemaGBNF.sequence(SchemaGBNF.literal(quotedKey), ws, SchemaGBNF.literal(":".utf8), ws, value, ws, after)
            if member.required {
                after = SchemaGBNF.sequence(comma, written)
                start = written
            } else {
                let keyHint = String(decoding: member.key, as: UTF8.self)
                let nextAfter = define(Self.hint(hint, "then-\(keyHint)"), SchemaGBNF.sequence(comma, written) + Array(" | ".utf8) + after)
                if index < firstRequired {
                    start = define(Self.hint(hint, "from-\(keyHint)"), written + Array(" | ".utf8) + start)
                }
                after = nextAfter
            }
        }
        return SchemaGBNF.sequence(open, start, close)
    }
}
