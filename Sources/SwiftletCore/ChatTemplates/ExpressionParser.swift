/// Expressions, with Jinja2's precedence from loosest to tightest:
/// `x if c else y` < `or` < `and` < `not` < comparisons and `in` < `+ -` < `~` < `* / // %`
/// < `**` < unary `-` < postfix (`.a`, `[i]`, `(…)`) and then filters `|f` and tests `is t`.
/// Note that filters bind tighter than `+`: `'a' + x | trim` trims only `x`.
extension TemplateParser {
    /// Jinja's `parse_tuple`: one expression, or several separated by commas (a tuple).
    /// `endNames` are names that end the list, such as `if` after a `for` iterable.
    mutating func parseTuple(conditional: Bool, endNames: [String]) throws(ChatTemplateError) -> TemplateExpression {
        var items: [TemplateExpression] = []
        var isTuple = false
        while true {
            if !items.isEmpty { _ = try expect(.symbol(.comma), "','") }
            if isTupleEnd(endNames) { break }
            items.append(try parseExpression(conditional: conditional))
            guard current.kind == .symbol(.comma) else { break }
            isTuple = true
        }
        if !isTuple, let only = items.first { return only }
        guard !items.isEmpty || isTuple else { throw failure("expected an expression, found \(describe(current))") }
        return .list(items)
    }

    private func isTupleEnd(_ endNames: [String]) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .symbol(.rightParen), .endOfTemplate: return true
        case .name: return endNames.contains { isName(current, $0) }
        default: return false
        }
    }

    mutating func parseExpression(conditional: Bool) throws(ChatTemplateError) -> TemplateExpression {
        let savedDepth = depth
        defer { depth = savedDepth }
        try deepen()
        let unknownBefore = unknownNames.count
        var expression = try parseOr()
        guard conditional, isName(current, "if") else { return expression }
        // Jinja defers unknown filter and test names inside a conditional expression to run time.
        unknownNames.removeSubrange(unknownBefore...)
        let savedSoft = softFrame
        softFrame = true
        defer { softFrame = savedSoft }
        while skip(name: "if") {
            try deepen()
            let condition = try parseOr()
            let otherwise = skip(name: "else") ? try parseExpression(conditional: true) : nil
            expression = .conditional(condition: condition, then: expression, otherwise: otherwise)
        }
        return expression
    }

    /// Jinja rejects an unknown filter or test name when it compiles the template, except
    /// inside an `if` statement or conditional expression, where only running it fails
    /// (so templates can guard engine-specific filters). Hard cases are collected here and
    /// reported once the enclosing expression is complete.
    private mutating func checkKnown(_ name: [UInt8], filter: Bool, at location: SourceLocation) {
        let names = filter ? TemplateRenderer.filterNames : TemplateRenderer.testNames
        guard !softFrame, !TemplateRenderer.isKnown(name, in: names) else { return }
        unknownNames.append(failure("no \(filter ? "filter" : "test") named '\(TemplateText.string(name))'", at: location))
    }

    private mutating func parseOr() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parseAnd()
        while current.kind == .name && isName(current, "or") {
            let location = advance().location
            try deepen()
            left = .binary(.or, left, try parseAnd(), location)
        }
        return left
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parseNot()
        while isName(current, "and") {
            let location = advance().location
            try deepen()
            left = .binary(.and, left, try parseNot(), location)
        }
        return left
    }

    private mutating func parseNot() throws(ChatTemplateError) -> TemplateExpression {
        guard isName(current, "not") else { return try parseCompare() }
        _ = advance()
        try deepen()
        return .not(try parseNot())
    }

    /// Comparisons chain like Python's: `a < b < c` means `a < b and b < c`.
    private mutating func parseCompare() throws(ChatTemplateError) -> TemplateExpression {
        let first = try parseAdditive()
        var left = first
        var result: TemplateExpression? = nil
        while true {
            let location = current.location
            let op: BinaryOperator
            switch current.kind {
            case .symbol(.equal): op = .equal
            case .symbol(.notEqual): op = .notEqual
            case .symbol(.less): op = .less
            case .symbol(.lessOrEqual): op = .lessOrEqual
            case .symbol(.greater): op = .greater
            case .symbol(.greaterOrEqual): op = .greaterOrEqual
            case .name where isName(current, "in"): op = .contains
            case .name where isName(current, "not") && isName(peek(), "in"):
                _ = advance()
                op = .notContains
            default:
                return result ?? first
            }
            _ = advance()
            try deepen()
            let right = try parseAdditive()
            let comparison = TemplateExpression.binary(op, left, right, location)
            result = result.map { .binary(.and, $0, comparison, location) } ?? comparison
            left = right
        }
    }

    private mutating func parseAdditive() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parseConcatenation()
        while true {
            let op: BinaryOperator
            switch current.kind {
            case .symbol(.add): op = .add
            case .symbol(.subtract): op = .subtract
            default: return left
            }
            let location = advance().location
            try deepen()
            left = .binary(op, left, try parseConcatenation(), location)
        }
    }

    private mutating func parseConcatenation() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parseMultiplicative()
        while current.kind == .symbol(.concatenate) {
            let location = advance().location
            try deepen()
            left = .binary(.concatenate, left, try parseMultiplicative(), location)
        }
        return left
    }

    private mutating func parseMultiplicative() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parsePower()
        while true {
            let op: BinaryOperator
            switch current.kind {
            case .symbol(.multiply): op = .multiply
            case .symbol(.divide): op = .divide
            case .symbol(.floorDivide): op = .floorDivide
            case .symbol(.modulo): op = .modulo
            default: return left
            }
            let location = advance().location
            try deepen()
            left = .binary(op, left, try parsePower(), location)
        }
    }

    /// Left-associative, as in Jinja (unlike Python): `2 ** 3 ** 2` is 64.
    private mutating func parsePower() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parseUnary(withFilters: true)
        while current.kind == .symbol(.power) {
            let location = advance().location
            try deepen()
            left = .binary(.power, left, try parseUnary(withFilters: true), location)
        }
        return left
    }

    private mutating func parseUnary(withFilters: Bool) throws(ChatTemplateError) -> TemplateExpression {
        let savedDepth = depth
        defer { depth = savedDepth }
        try deepen()
        var expression: TemplateExpression
        switch current.kind {
        case .symbol(.subtract):
            let location = advance().location
            expression = .negate(try parseUnary(withFilters: false), location)
        case .symbol(.add):
            _ = advance()
            expression = try parseUnary(withFilters: false)
        default:
            expression = try parsePrimary()
        }
        expression = try parsePostfix(expression)
        return withFilters ? try parseFiltersAndTests(expression) : expression
    }

    mutating func parsePrimary() throws(ChatTemplateError) -> TemplateExpression {
        let token = current
        switch token.kind {
        case .name:
            _ = advance()
            switch token.bytes {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .variable(token.bytes, token.location)
            }
        case .string:
            var value = advance().bytes
            while current.kind == .string { value += advance().bytes }
            return .literal(.string(value))
        case .integer:
            return .literal(.int(advance().integer))
        case .float:
            return .literal(.double(advance().float))
        case .symbol(.leftParen):
            _ = advance()
            let inner = try parseTuple(conditional: true, endNames: [])
            _ = try expect(.symbol(.rightParen), "')'")
            return inner
        case .symbol(.leftBracket):
            _ = advance()
            var items: [TemplateExpression] = []
            while !skip(.rightBracket) {
                if !items.isEmpty {
                    _ = try expect(.symbol(.comma), "',' or ']'")
                    if skip(.rightBracket) { break }
                }
                items.append(try parseExpression(conditional: true))
            }
            return .list(items)
        case .symbol(.leftBrace):
            _ = advance()
            var entries: [(key: TemplateExpression, value: TemplateExpression)] = []
            while !skip(.rightBrace) {
                if !entries.isEmpty {
                    _ = try expect(.symbol(.comma), "',' or '}'")
                    if skip(.rightBrace) { break }
                }
                let key = try parseExpression(conditional: true)
                _ = try expect(.symbol(.colon), "':'")
                entries.append((key, try parseExpression(conditional: true)))
            }
            return .dictionary(entries)
        default:
            throw failure("expected an expression, found \(describe(token))")
        }
    }

    mutating func parsePostfix(_ base: TemplateExpression) throws(ChatTemplateError) -> TemplateExpression {
        var expression = base
        while true {
            switch current.kind {
            case .symbol(.dot), .symbol(.leftBracket): expression = try parseSubscript(expression)
            case .symbol(.leftParen):
                let location = current.location
                expression = .call(expression, try parseCallArguments(), location)
            default: return expression
            }
            try deepen()
        }
    }

    private mutating func parseFiltersAndTests(_ base: TemplateExpression) throws(ChatTemplateError) -> TemplateExpression {
        var expression = base
        while true {
            let location = current.location
            if skip(.pipe) {
                let name = try parseDottedName()
                checkKnown(name, filter: true, at: location)
                let arguments = current.kind == .symbol(.leftParen) ? try parseCallArguments() : TemplateArguments()
                expression = .filter(expression, name: name, arguments, location)
            } else if isName(current, "is") {
                _ = advance()
                let negated = skip(name: "not")
                let name = try parseDottedName()
                checkKnown(name, filter: false, at: location)
                var arguments = TemplateArguments()
                switch current.kind {
                case .symbol(.leftParen):
                    arguments = try parseCallArguments()
                case .name, .string, .integer, .float, .symbol(.leftBracket), .symbol(.leftBrace):
                    // `is divisibleby 3`: one bare argument, but `else`/`or`/`and` end the test.
                    if !(isName(current, "else") || isName(current, "or") || isName(current, "and")) {
                        if isName(current, "is") { throw failure("tests cannot be chained with 'is'") }
                        arguments.positional = [try parsePostfix(try parsePrimary())]
                    }
                default:
                    break
                }
                expression = .test(expression, name: name, arguments, negated: negated, location)
            } else if current.kind == .symbol(.leftParen) {
                expression = .call(expression, try parseCallArguments(), location)
            } else {
                return expression
            }
            try deepen()
        }
    }

    private mutating func parseDottedName() throws(ChatTemplateError) -> [UInt8] {
        var name = try expectName()
        while skip(.dot) { name += [UInt8(ascii: ".")] + (try expectName()) }
        return name
    }

    private mutating func parseSubscript(_ base: TemplateExpression) throws(ChatTemplateError) -> TemplateExpression {
        let token = advance()
        if token.kind == .symbol(.dot) {
            let attribute = advance()
            switch attribute.kind {
            case .name: return .attribute(base, attribute.bytes, attribute.location)
            case .integer: return .item(base, .literal(.int(attribute.integer)), attribute.location)
            default: throw failure("expected an attribute name after '.'", at: attribute.location)
            }
        }
        // `[index]` or a slice `[start:stop:step]`, any part optional.
        var parts: [TemplateExpression?] = []
        var isSlice = false
        if current.kind != .symbol(.colon) { parts.append(try parseExpression(conditional: true)) } else { parts.append(nil) }
        while parts.count < 3 && skip(.colon) {
            isSlice = true
            let ends = current.kind == .symbol(.colon) || current.kind == .symbol(.rightBracket)
            parts.append(ends ? nil : try parseExpression(conditional: true))
        }
        if current.kind == .symbol(.comma) { throw failure("tuple subscripts are not supported") }
        _ = try expect(.symbol(.rightBracket), "']'")
        guard isSlice else {
            guard let index = parts[0] else { throw failure("expected an index", at: token.location) }
            return .item(base, index, token.location)
        }
        while parts.count < 3 { parts.append(nil) }
        return .slice(base, start: parts[0], stop: parts[1], step: parts[2], token.location)
    }

    /// `(a, b, name=c)`; positional arguments may not follow keyword ones.
    mutating func parseCallArguments() throws(ChatTemplateError) -> TemplateArguments {
        _ = try expect(.symbol(.leftParen), "'('")
        var arguments = TemplateArguments()
        var first = true
        while !skip(.rightParen) {
            if !first {
                _ = try expect(.symbol(.comma), "',' or ')'")
                if skip(.rightParen) { break }
            }
            first = false
            if current.kind == .symbol(.multiply) || current.kind == .symbol(.power) {
                throw failure("'*args' and '**kwargs' in calls are not supported")
            }
            if current.kind == .name && peek().kind == .symbol(.assign) {
                let name = advance().bytes
                _ = advance()
                arguments.keywords.append((name, try parseExpression(conditional: true)))
            } else {
                guard arguments.keywords.isEmpty else { throw failure("positional argument after a keyword argument") }
                arguments.positional.append(try parseExpression(conditional: true))
            }
        }
        return arguments
    }
}
