/// Builds the statement tree from tokens, following Jinja2's parser so that the same
/// template text means the same thing. Nesting is bounded (`maxDepth`) so a hostile
/// template gets an error instead of overflowing the stack.
struct TemplateParser {
    static let maxDepth = 100

    let source: [UInt8]
    let tokens: [TemplateToken]
    var index = 0
    var depth = 0
    /// How many `for` bodies enclose the current position, for `break`/`continue`.
    var loopDepth = 0
    /// Inside an `if` statement or conditional expression (Jinja's "soft frame"), where
    /// unknown filter and test names are run-time errors; see `checkKnown`.
    var softFrame = false
    var unknownNames: [ChatTemplateError] = []

    static func parse(_ source: [UInt8]) throws(ChatTemplateError) -> [TemplateNode] {
        var parser = TemplateParser(source: source, tokens: try TemplateLexer.tokenize(source))
        let (body, _) = try parser.parseBody(until: [], opener: nil)
        return body
    }

    init(source: [UInt8], tokens: [TemplateToken]) {
        self.source = source
        self.tokens = tokens
    }

    // MARK: Token access

    var current: TemplateToken { tokens[index] }

    func peek(_ offset: Int = 1) -> TemplateToken { tokens[min(index + offset, tokens.count - 1)] }

    mutating func advance() -> TemplateToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func failure(_ message: String, at location: SourceLocation? = nil) -> ChatTemplateError {
        TemplateFailure.syntax.error(message, at: location ?? current.location, in: source)
    }

    func isName(_ token: TemplateToken, _ name: String) -> Bool {
        token.kind == .name && token.bytes == TemplateText.bytes(name)
    }

    mutating func skip(name: String) -> Bool {
        guard isName(current, name) else { return false }
        _ = advance()
        return true
    }

    mutating func skip(_ symbol: TemplateOperator) -> Bool {
        guard current.kind == .symbol(symbol) else { return false }
        _ = advance()
        return true
    }

    mutating func expect(_ kind: TemplateToken.Kind, _ what: String) throws(ChatTemplateError) -> TemplateToken {
        guard current.kind == kind else { throw failure("expected \(what), found \(describe(current))") }
        return advance()
    }

    mutating func expectName() throws(ChatTemplateError) -> [UInt8] {
        try expect(.name, "a name").bytes
    }

    func describe(_ token: TemplateToken) -> String {
        switch token.kind {
        case .text: return "text"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .name: return "'\(TemplateText.string(token.bytes))'"
        case .string: return "a string"
        case .integer, .float: return "a number"
        case let .symbol(symbol): return "'\(Self.spelling(of: symbol))'"
        case .endOfTemplate: return "the end of the template"
        }
    }

    static func spelling(of symbol: TemplateOperator) -> String {
        switch symbol {
        case .add: return "+"
        case .subtract: return "-"
        case .multiply: return "*"
        case .divide: return "/"
        case .floorDivide: return "//"
        case .modulo: return "%"
        case .power: return "**"
        case .concatenate: return "~"
        case .equal: return "=="
        case .notEqual: return "!="
        case .less: return "<"
        case .lessOrEqual: return "<="
        case .greater: return ">"
        case .greaterOrEqual: return ">="
        case .leftParen: return "("
        case .rightParen: return ")"
        case .leftBracket: return "["
        case .rightBracket: return "]"
        case .leftBrace: return "{"
        case .rightBrace: return "}"
        case .assign: return "="
        case .dot: return "."
        case .colon: return ":"
        case .pipe: return "|"
        case .comma: return ","
        case .semicolon: return ";"
        }
    }

    /// Counts one more level of nesting; callers restore `depth` when they return.
    mutating func deepen() throws(ChatTemplateError) {
        depth += 1
        if depth > Self.maxDepth {
            throw TemplateFailure.limit.error("nesting deeper than \(Self.maxDepth) levels", at: current.location, in: source)
        }
    }

    // MARK: Statements

    /// Nodes up to a `{% name %}` whose name is in `endTags`, which is returned with the
    /// stream positioned just after that name. `opener` locates the error for a missing end.
    mutating func parseBody(until endTags: [String], opener: SourceLocation?) throws(ChatTemplateError) -> ([TemplateNode], [UInt8]?) {
        let savedDepth = depth
        defer { depth = savedDepth }
        try deepen()
        var nodes: [TemplateNode] = []
        while true {
            let token = current
            switch token.kind {
            case .text:
                _ = advance()
                if case let .text(previous)? = nodes.last {
                    nodes[nodes.count - 1] = .text(previous + token.bytes)
                } else {
                    nodes.append(.text(token.bytes))
                }
            case .variableBegin:
                _ = advance()
                let expression = try parseTuple(conditional: true, endNames: [])
                if let unknown = unknownNames.first { throw unknown }
                _ = try expect(.variableEnd, "'}}'")
                nodes.append(.output(expression, token.location))
            case .blockBegin:
                _ = advance()
                if current.kind == .name, let end = endTags.first(where: { isName(current, $0) }) {
                    _ = advance()
                    return (nodes, TemplateText.bytes(end))
                }
                nodes.append(try parseStatement())
                if let unknown = unknownNames.first { throw unknown }
                _ = try expect(.blockEnd, "'%}'")
            case .endOfTemplate:
                if let first = endTags.last {
                    throw failure("unexpected end of template: the tag opened here needs '{% \(first) %}'", at: opener)
                }
                return (nodes, nil)
            default:
                throw failure("unexpected \(describe(token))")
            }
        }
    }

    /// One statement after `{%`, leaving its closing `%}` for the caller.
    mutating func parseStatement() throws(ChatTemplateError) -> TemplateNode {
        let token = current
        guard token.kind == .name else { throw failure("expected a statement name after '{%'") }
        let name = TemplateText.string(token.bytes)
        _ = advance()
        switch token.bytes {
        case "if": return try parseIf(at: token.location)
        case "for": return try parseFor(at: token.location)
        case "set": return try parseSet(at: token.location)
        case "macro": return try parseMacro(at: token.location)
        case "filter": return try parseFilterBlock(at: token.location)
        case "break", "continue":
            guard loopDepth > 0 else { throw failure("'\(name)' outside of a loop", at: token.location) }
            return token.bytes == TemplateText.bytes("break") ? .breakLoop : .continueLoop
        case "generation":
            // Hugging Face's assistant-mask marker: renders its body unchanged.
            _ = try expect(.blockEnd, "'%}'")
            let (body, _) = try parseBody(until: ["endgeneration"], opener: token.location)
            return .sequence(body)
        case "include", "import", "from",
             "extends", "block", "call",
             "with", "do", "autoescape":
            throw failure("the '\(name)' statement is not supported in chat templates", at: token.location)
        default:
            throw failure("unknown statement '\(name)'", at: token.location)
        }
    }

    mutating func parseIf(at location: SourceLocation) throws(ChatTemplateError) -> TemplateNode {
        let savedSoft = softFrame
        softFrame = true
        defer { softFrame = savedSoft }
        var branches: [(condition: TemplateExpression, body: [TemplateNode])] = []
        while true {
            let condition = try parseTuple(conditional: false, endNames: [])
            _ = try expect(.blockEnd, "'%}'")
            let (body, end) = try parseBody(until: ["elif", "else", "endif"], opener: location)
            branches.append((condition, body))
            if end == TemplateText.bytes("elif") { continue }
            if end == TemplateText.bytes("else") {
                _ = try expect(.blockEnd, "'%}'")
                let (otherwise, _) = try parseBody(until: ["endif"], opener: location)
                return .conditional(branches: branches, otherwise: otherwise)
            }
            return .conditional(branches: branches, otherwise: [])
        }
    }

    mutating func parseTargetNames(stopAt stop: String?) throws(ChatTemplateError) -> [[UInt8]] {
        let parenthesized = skip(.leftParen)
        var names = [try expectName()]
        while skip(.comma) {
            if parenthesized && current.kind == .symbol(.rightParen) { break }
            if let stop, isName(current, stop) { break }
            names.append(try expectName())
        }
        if parenthesized { _ = try expect(.symbol(.rightParen), "')'") }
        return names
    }

    mutating func parseFor(at location: SourceLocation) throws(ChatTemplateError) -> TemplateNode {
        let targets = try parseTargetNames(stopAt: "in")
        guard skip(name: "in") else { throw failure("expected 'in' in for loop") }
        let iterable = try parseTuple(conditional: false, endNames: ["recursive", "if"])
        // The loop's filter and bodies are new Jinja frames: unknown names there are errors again.
        let savedSoft = softFrame
        softFrame = false
        defer { softFrame = savedSoft }
        var filter: TemplateExpression? = nil
        if skip(name: "if") { filter = try parseExpression(conditional: true) }
        if isName(current, "recursive") { throw failure("recursive loops are not supported") }
        _ = try expect(.blockEnd, "'%}'")
        loopDepth += 1
        let (body, end) = try parseBody(until: ["endfor", "else"], opener: location)
        loopDepth -= 1
        var otherwise: [TemplateNode] = []
        if end == TemplateText.bytes("else") {
            _ = try expect(.blockEnd, "'%}'")
            (otherwise, _) = try parseBody(until: ["endfor"], opener: location)
        }
        return .forLoop(ForLoop(targets: targets, iterable: iterable, filter: filter, body: body,
                                otherwise: otherwise, location: location))
    }

    mutating func parseSet(at location: SourceLocation) throws(ChatTemplateError) -> TemplateNode {
        let target: AssignmentTarget
        if current.kind == .name && peek().kind == .symbol(.dot) {
            let namespace = try expectName()
            _ = advance()
            target = .attribute(namespace: namespace, attribute: try expectName())
        } else {
            target = .names(try parseTargetNames(stopAt: nil))
        }
        if skip(.assign) {
            return .set(target, try parseTuple(conditional: true, endNames: []), location)
        }
        _ = try expect(.blockEnd, "'=' or '%}'")
        let savedSoft = softFrame
        softFrame = false
        defer { softFrame = savedSoft }
        let (body, _) = try parseBody(until: ["endset"], opener: location)
        return .setBlock(target, body, location)
    }

    mutating func parseMacro(at location: SourceLocation) throws(ChatTemplateError) -> TemplateNode {
        let name = try expectName()
        _ = try expect(.symbol(.leftParen), "'('")
        var parameters: [(name: [UInt8], defaultValue: TemplateExpression?)] = []
        while !skip(.rightParen) {
            if !parameters.isEmpty {
                _ = try expect(.symbol(.comma), "',' or ')'")
                if skip(.rightParen) { break }
            }
            let parameter = try expectName()
            parameters.append((parameter, skip(.assign) ? try parseExpression(conditional: true) : nil))
        }
        _ = try expect(.blockEnd, "'%}'")
        let savedLoopDepth = loopDepth, savedSoft = softFrame
        loopDepth = 0
        softFrame = false
        let (body, _) = try parseBody(until: ["endmacro"], opener: location)
        loopDepth = savedLoopDepth
        softFrame = savedSoft
        return .macro(MacroDefinition(name: name, parameters: parameters, body: body))
    }

    mutating func parseFilterBlock(at location: SourceLocation) throws(ChatTemplateError) -> TemplateNode {
        let name = try expectName()
        guard TemplateRenderer.isKnown(name, in: TemplateRenderer.filterNames) else {
            throw failure("no filter named '\(TemplateText.string(name))'", at: location)
        }
        let savedSoft = softFrame
        softFrame = false
        defer { softFrame = savedSoft }
        let arguments = current.kind == .symbol(.leftParen) ? try parseCallArguments() : TemplateArguments()
        _ = try expect(.blockEnd, "'%}'")
        let (body, _) = try parseBody(until: ["endfilter"], opener: location)
        return .filterBlock(name: name, arguments, body, location)
    }
}
