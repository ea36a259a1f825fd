/// Why a grammar could not be read, and where.
public struct GrammarError: Error, Equatable, CustomStringConvertible {
    public let message: String
    /// 1-based; 0 when the problem is the grammar as a whole (no root rule, left recursion).
    public let line: Int
    public let column: Int

    public init(_ message: String, line: Int = 0, column: Int = 0) {
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String {
        line == 0 ? "grammar: \(message)" : "grammar line \(line), column \(column): \(message)"
    }
}

/// A context-free grammar over UTF-8 bytes, read from GBNF (llama.cpp's grammar language):
/// `name ::= alternatives`, literals, character classes, groups and repetition; `root` is the
/// start rule. Characters are compiled to byte patterns, so matching reads a token's bytes one
/// at a time whatever characters they split (`GrammarMatcher`).
public struct Grammar: Sendable {
    /// One step of a rule's alternative.
    enum Symbol: Equatable {
        /// A byte from `byteSets[index]`.
        case bytes(Int32)
        /// Everything rule `id` matches.
        case rule(Int32)
        /// The alternative is done.
        case end
    }

    /// Every alternative of every rule, each followed by `.end`: [total symbols].
    let symbols: [Symbol]
    /// Where each alternative of each rule starts in `symbols`: [rules][alternatives].
    let alternatives: [[Int32]]
    let byteSets: [ByteSet]
    /// Rule names, for messages (helper rules are named after the rule they serve).
    let names: [String]
    let root: Int32

    /// Reads GBNF text (UTF-8).
    public init(gbnf text: [UInt8], root: String = "root") throws(GrammarError) {
        var parser = GrammarParser(text)
        let rules = try parser.parse()
        guard let rootID = rules.id(named: Array(root.utf8)) else { throw GrammarError("no rule named '\(root)'") }
        try rules.checkAllDefined(in: text)
        var symbols: [Symbol] = []
        var alternatives: [[Int32]] = []
        for ruleAlternatives in rules.bodies {
            var starts: [Int32] = []
            for sequence in ruleAlternatives ?? [] {
                starts.append(Int32(symbols.count))
                symbols += sequence
                symbols.append(.end)
            }
            alternatives.append(starts)
        }
        self.symbols = symbols
        self.alternatives = alternatives
        byteSets = rules.byteSets
        names = rules.names.map { String(decoding: $0, as: UTF8.self) }
        self.root = rootID
        try checkNoLeftRecursion()
    }

    /// Rules that can match the empty string.
    private func nullableRules() -> [Bool] {
        var nullable = [Bool](repeating: false, count: alternatives.count)
        var changed = true
        while changed {
            changed = false
            for rule in alternatives.indices where !nullable[rule] {
                for start in alternatives[rule] where sequenceIsNullable(from: Int(start), nullable) {
                    nullable[rule] = true
                    changed = true
                    break
                }
            }
        }
        return nullable
    }

    private func sequenceIsNullable(from start: Int, _ nullable: [Bool]) -> Bool {
        var position = start
        while true {
            switch symbols[position] {
            case .end: return true
            case .bytes: return false
            case let .rule(id): if !nullable[Int(id)] { return false }
            }
            position += 1
        }
    }

    /// A rule that can reach itself before reading a byte would expand forever.
    private func checkNoLeftRecursion() throws(GrammarError) {
        let nullable = nullableRules()
        // The rules each rule can start with: through every leading symbol that may be empty.
        var leading = [[Int32]](repeating: [], count: alternatives.count)
        for rule in alternatives.indices {
            for start in alternatives[rule] {
                var position = Int(start)
                while case let .rule(id) = symbols[position] {
                    leading[rule].append(id)
                    if !nullable[Int(id)] { break }
                    position += 1
                }
            }
        }
        // Depth-first search for a cycle: 0 unvisited, 1 on the path, 2 done.
        var state = [UInt8](repeating: 0, count: alternatives.count)
        func visit(_ rule: Int) throws(GrammarError) {
            state[rule] = 1
            for next in leading[rule] {
                if state[Int(next)] == 1 {
                    throw GrammarError("rule '\(names[Int(next)])' is left-recursive: it can reach itself before reading a character")
                }
                if state[Int(next)] == 0 { try visit(Int(next)) }
            }
            state[rule] = 2
        }
        for rule in alternatives.indices where state[rule] == 0 { try visit(rule) }
    }
}
extension Grammar {
    /// JSON valid against a JSON Schema (its text, UTF-8).
    public init(jsonSchema text: [UInt8]) throws(SchemaError) {
        try self.init(jsonSchema: try JSONDocument.parse(text))
    }

    public init(jsonSchema schema: JSONDocument) throws(SchemaError) {
        let text = try JSONSchemaGrammar.gbnf(schema: schema)
        do throws(GrammarError) {
            try self.init(gbnf: text)
        } catch {
            // The converter writes grammars this parser reads; this would be a bug in it.
            throw SchemaError("the schema's grammar could not be read: \(error)", path: "")
        }
    }

    /// Any JSON object (OpenAI's `json_object` response format).
    public static let anyJSONObject: Grammar = try! Grammar(gbnf: JSONSchemaGrammar.anyObject)
}
