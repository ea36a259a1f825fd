/// The rules of a grammar as the parser builds them: names to ids, each rule's alternatives
/// as symbols, and the byte sets they read.
struct GrammarRules {
    var names: [[UInt8]] = []
    /// Each rule's alternatives; nil until its definition is read.
    var bodies: [[[Grammar.Symbol]]?] = []
    /// The byte offset where each rule was first named, for "undefined rule" errors.
    var firstUse: [Int] = []
    var byteSets: [ByteSet] = []
    private var byteSetIDs: [ByteSet: Int32] = [:]
    private var ruleIDs: [[UInt8]: Int32] = [:]
    /// Helper rules already made, by what they match, so repeated classes share one.
    var helpers: [[Int32]: Int32] = [:]

    func id(named name: [UInt8]) -> Int32? { ruleIDs[name] }

    mutating func id(for name: [UInt8], at offset: Int) -> Int32 {
        if let id = ruleIDs[name] { return id }
        let id = Int32(names.count)
        ruleIDs[name] = id
        names.append(name)
        bodies.append(nil)
        firstUse.append(offset)
        return id
    }

    /// A new rule for part of `parent` (a group, a repetition, a character class).
    mutating func helper(of parent: Int32, _ alternatives: [[Grammar.Symbol]]) -> Int32 {
        let id = Int32(names.count)
        names.append(names[Int(parent)] + Array("-\(id)".utf8))
        bodies.append(alternatives)
        firstUse.append(0)
        return id
    }

    mutating func byteSet(_ set: ByteSet) -> Grammar.Symbol {
        if let id = byteSetIDs[set] { return .bytes(id) }
        let id = Int32(byteSets.count)
        byteSets.append(set)
        byteSetIDs[set] = id
        return .bytes(id)
    }

    func checkAllDefined(in text: [UInt8]) throws(GrammarError) {
        for id in bodies.indices where bodies[id] == nil {
            let (line, column) = GrammarParser.location(firstUse[id], in: text)
            throw GrammarError("rule '\(String(decoding: names[id], as: UTF8.self))' is used but never defined",
                               line: line, column: column)
        }
    }
}

/// Reads GBNF: `name ::= alternatives` per rule; a newline ends a rule except inside
/// parentheses and after `::=` or `|`; `#` starts a comment.
struct GrammarParser {
    private let text: [UInt8]
    private var position = 0
    private var rules = GrammarRules()
    /// The rule being read, whose helpers take its name.
    private var current: Int32 = 0
    /// Repetition counts beyond this are refused: each repeat is a copy of the symbol.
    static let maxRepetition = 4096
    static let maxGroupDepth = 64
    private var groupDepth = 0

    init(_ text: [UInt8]) { self.text = text }

    mutating func parse() throws(GrammarError) -> GrammarRules {
        skipSpace(newlines: true)
        while position < text.count {
            let start = position
            let name = try ruleName()
            current = rules.id(for: name, at: start)
            if rules.bodies[Int(current)] != nil {
                let (line, column) = Self.location(start, in: text)
                throw GrammarError("rule '\(String(decoding: name, as: UTF8.self))' is defined twice", line: line, column: column)
            }
            skipSpace(newlines: false)
            guard consume("::=") else { throw failure("expected '::=' after the rule name") }
            skipSpace(newlines: true)
            rules.bodies[Int(current)] = try alternatives(nested: false)
            guard position >= text.count || text[position] == 0x0A || text[position] == 0x0D || atRuleDefinition() else {
                throw failure("unexpected '\(Self.describe(text[position]))'")
            }
            skipSpace(newlines: true)
        }
        return rules
    }

    // MARK: Structure

    private mutating func alternatives(nested: Bool) throws(GrammarError) -> [[Grammar.Symbol]] {
        var result = [try sequence(nested: nested)]
        while true {
            // A line that starts with "|" goes on with the rule above it.
            let lineEnd = position
            skipSpace(newlines: true)
            guard position < text.count && text[position] == UInt8(ascii: "|") else {
                position = lineEnd
                break
            }
            position += 1
            skipSpace(newlines: true)
            result.append(try sequence(nested: nested))
        }
        return result
    }

    private mutating func sequence(nested: Bool) throws(GrammarError) -> [Grammar.Symbol] {
        var symbols: [Grammar.Symbol] = []
        while position < text.count {
            let byte = text[position]
            if byte == UInt8(ascii: "|") || byte == UInt8(ascii: ")") || byte == 0x0A || byte == 0x0D { break }
            // After a trailing "|" (an empty alternative) the next line's rule begins.
            if atRuleDefinition() { break }
            let element = try element()
            skipSpace(newlines: nested)
            symbols += try repeated(element)
            skipSpace(newlines: nested)
        }
        return symbols
    }

    private mutating func element() throws(GrammarError) -> [Grammar.Symbol] {
        let byte = text[position]
        switch byte {
        case UInt8(ascii: "\""):
            position += 1
            var symbols: [Grammar.Symbol] = []
            while true {
                guard position < text.count, text[position] != 0x0A else { throw failure("unterminated string literal") }
                if text[position] == UInt8(ascii: "\"") { position += 1; break }
                for byte in UTF8Sequences.encode(try character()) { symbols.append(rules.byteSet(ByteSet(byte...byte))) }
            }
            return symbols
        case UInt8(ascii: "["):
            position += 1
            return [try characterClass()]
        case UInt8(ascii: "."):
            position += 1
            return [scalarSet(UTF8Sequences.complement([]))]
        case UInt8(ascii: "("):
            // A bound on the recursion: each group is a frame of this parser's.
            guard groupDepth < Self.maxGroupDepth else { throw failure("groups nested deeper than \(Self.maxGroupDepth)") }
            position += 1
            skipSpace(newlines: true)
            groupDepth += 1
            let body = try alternatives(nested: true)
            groupDepth -= 1
            guard consume(")") else { throw failure("expected ')'") }
            return [.rule(rules.helper(of: current, body))]
        default:
            let start = position
            let name = try ruleName()
            return [.rule(rules.id(for: name, at: start))]
        }
    }

    /// The element with any `*`, `+`, `?` or `{m,n}` after it applied.
    private mutating func repeated(_ element: [Grammar.Symbol]) throws(GrammarError) -> [Grammar.Symbol] {
        guard position < text.count else { return element }
        let (minimum, maximum): (Int, Int?)
        switch text[position] {
        case UInt8(ascii: "*"): (minimum, maximum) = (0, nil)
        case UInt8(ascii: "+"): (minimum, maximum) = (1, nil)
        case UInt8(ascii: "?"): (minimum, maximum) = (0, 1)
        case UInt8(ascii: "{"): (minimum, maximum) = try repetitionBounds()
        default: return element
        }
        position += 1  // past the operator or the closing brace
        let single = element.count == 1 ? element[0] : .rule(rules.helper(of: current, [element]))
        var symbols = [Grammar.Symbol](repeating: single, count: minimum)
        if let maximum {
            // e{0,k}: opt_k ::= e opt_(k-1) | empty, built from the innermost out.
            var optional: Grammar.Symbol? = nil
            for _ in minimum..<maximum {
                optional = .rule(rules.helper(of: current, [[single] + (optional.map { [$0] } ?? []), []]))
            }
            if let optional { symbols.append(optional) }
        } else {
            // e*: star ::= e star | empty (right-recursive, so it expands lazily).
            let star = rules.helper(of: current, [])
            rules.bodies[Int(star)] = [[single, .rule(star)], []]
            symbols.append(.rule(star))
        }
        return symbols
    }

    /// `{m}`, `{m,}` or `{m,n}`, leaving the position on the closing brace.
    private mutating func repetitionBounds() throws(GrammarError) -> (Int, Int?) {
        position += 1
        skipSpace(newlines: false)
        guard let minimum = number() else { throw failure("expected a number after '{'") }
        skipSpace(newlines: false)
        var maximum: Int? = minimum
        if consume(",") {
            skipSpace(newlines: false)
            maximum = number()
            skipSpace(newlines: false)
        }
        guard position < text.count, text[position] == UInt8(ascii: "}") else { throw failure("expected '}'") }
        if let maximum, maximum < minimum { throw failure("repetition {\(minimum),\(maximum)} has its maximum below its minimum") }
        guard (maximum ?? minimum) <= Self.maxRepetition else {
            throw failure("repetition counts above \(Self.maxRepetition) are not supported")
        }
        return (minimum, maximum)
    }

    // MARK: Characters

    private mutating func characterClass() throws(GrammarError) -> Grammar.Symbol {
        let negated = consume("^")
        var ranges: [(UInt32, UInt32)] = []
        while true {
            guard position < text.count, text[position] != 0x0A else { throw failure("unterminated character class") }
            if text[position] == UInt8(ascii: "]") { position += 1; break }
            let low = try character()
            var high = low
            if position + 1 < text.count, text[position] == UInt8(ascii: "-"), text[position + 1] != UInt8(ascii: "]") {
                position += 1
                guard text[position] != 0x0A else { throw failure("unterminated character class") }
                high = try character()
                guard high >= low else { throw failure("the range in the character class runs backwards") }
            }
            ranges.append((low, high))
        }
        let normalized = UTF8Sequences.normalized(ranges)
        return scalarSet(negated ? UTF8Sequences.complement(normalized) : normalized)
    }

    /// One symbol reading any scalar in `ranges`: a byte set when all are ASCII, else a
    /// helper rule with an alternative per UTF-8 byte pattern.
    private mutating func scalarSet(_ ranges: [(UInt32, UInt32)]) -> Grammar.Symbol {
        var patterns: [[ClosedRange<UInt8>]] = []
        for (low, high) in ranges { UTF8Sequences.patterns(low, high, into: &patterns) }
        var singleBytes = ByteSet()
        var alternatives: [[Grammar.Symbol]] = []
        for pattern in patterns {
            if pattern.count == 1 {
                singleBytes.formUnion(ByteSet(pattern[0]))
            } else {
                alternatives.append(pattern.map { rules.byteSet(ByteSet($0)) })
            }
        }
        let single = rules.byteSet(singleBytes)
        if alternatives.isEmpty { return single }
        alternatives.insert([single], at: 0)
        // Classes recur (every JSON string's characters): one helper rule serves them all.
        var key: [Int32] = []
        for (low, high) in ranges { key += [Int32(bitPattern: low), Int32(bitPattern: high)] }
        if let id = rules.helpers[key] { return .rule(id) }
        let id = rules.helper(of: current, alternatives)
        rules.helpers[key] = id
        return .rule(id)
    }

    /// One character of a literal or class: UTF-8 as is, or an escape.
    private mutating func character() throws(GrammarError) -> UInt32 {
        let byte = text[position]
        guard byte == UInt8(ascii: "\\") else { return try scalar() }
        guard position + 1 < text.count else { throw failure("a backslash ends the text") }
        let escape = text[position + 1]
        position += 2
        switch escape {
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "x"): return try hexadecimal(digits: 2)
        case UInt8(ascii: "u"): return try hexadecimal(digits: 4)
        case UInt8(ascii: "U"): return try hexadecimal(digits: 8)
        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "-"),
             UInt8(ascii: "^"), UInt8(ascii: "/"):
            return UInt32(escape)
        default:
            position -= 2
            throw failure("unknown escape '\\\(Self.describe(escape))'")
        }
    }

    private mutating func hexadecimal(digits: Int) throws(GrammarError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard position < text.count, let digit = Self.hexDigit(text[position]) else {
                throw failure("expected \(digits) hexadecimal digits")
            }
            value = value << 4 | digit
            position += 1
        }
        guard value <= UTF8Sequences.maxScalar, !(0xD800...0xDFFF).contains(value) else {
            throw failure("\\u escape of a surrogate or beyond U+10FFFF")
        }
        return value
    }

    /// The UTF-8 scalar at the position.
    private mutating func scalar() throws(GrammarError) -> UInt32 {
        let lead = UInt32(text[position])
        let length = lead < 0x80 ? 1 : lead >= 0xC2 && lead < 0xE0 ? 2 : lead >= 0xE0 && lead < 0xF0 ? 3 : lead >= 0xF0 && lead < 0xF5 ? 4 : 0
        guard length > 0, position + length <= text.count else { throw failure("invalid UTF-8") }
        var value = length == 1 ? lead : lead & (0xFF >> UInt32(length + 1))
        for k in 1..<max(length, 1) {
            let byte = UInt32(text[position + k])
            guard byte & 0xC0 == 0x80 else { throw failure("invalid UTF-8") }
            value = value << 6 | byte & 0x3F
        }
        guard UTF8Sequences.encodedLength(value) == length, !(0xD800...0xDFFF).contains(value) else { throw failure("invalid UTF-8") }
        position += length
        return value
    }

    // MARK: Lexing

    private mutating func ruleName() throws(GrammarError) -> [UInt8] {
        let start = position
        while position < text.count, Self.isNameByte(text[position]) { position += 1 }
        guard position > start else {
            throw failure(position < text.count ? "unexpected '\(Self.describe(text[position]))'" : "unexpected end of grammar")
        }
        return Array(text[start..<position])
    }

    /// Whether a rule's name and "::=" come next.
    private func atRuleDefinition() -> Bool {
        var probe = self
        while probe.position < text.count, Self.isNameByte(text[probe.position]) { probe.position += 1 }
        guard probe.position > position else { return false }
        probe.skipSpace(newlines: false)
        return probe.consume("::=")
    }

    private mutating func number() -> Int? {
        var value: Int? = nil
        while position < text.count, text[position] >= 0x30, text[position] <= 0x39 {
            value = min((value ?? 0) * 10 + Int(text[position] - 0x30), Self.maxRepetition + 1)
            position += 1
        }
        return value
    }

    /// Skips spaces, tabs and comments, and newlines where they do not end a rule.
    private mutating func skipSpace(newlines: Bool) {
        while position < text.count {
            let byte = text[position]
            if byte == 0x20 || byte == 0x09 || (newlines && (byte == 0x0A || byte == 0x0D)) {
                position += 1
            } else if byte == UInt8(ascii: "#") {
                while position < text.count, text[position] != 0x0A, text[position] != 0x0D { position += 1 }
            } else {
                break
            }
        }
    }

    private mutating func consume(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= text.count else { return false }
        for k in 0..<count where text[position + k] != literal.utf8Start[k] { return false }
        position += count
        return true
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: UInt32(byte - 0x30)
        case 0x41...0x46: UInt32(byte - 0x41 + 10)
        case 0x61...0x66: UInt32(byte - 0x61 + 10)
        default: nil
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(decoding: [byte], as: UTF8.self) : "\\x\(String(byte, radix: 16))"
    }

    /// Line and column (1-based, in bytes) of a position: counted only for an error.
    static func location(_ offset: Int, in text: [UInt8]) -> (Int, Int) {
        var line = 1, column = 1
        for byte in text[..<min(offset, text.count)] {
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    private func failure(_ message: String) -> GrammarError {
        let (line, column) = Self.location(position, in: text)
        return GrammarError(message, line: line, column: column)
    }
}
