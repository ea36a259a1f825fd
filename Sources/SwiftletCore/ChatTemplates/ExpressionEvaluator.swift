/// Evaluated arguments of a call, filter or test.
struct CallArguments {
    var positional: [TemplateValue] = []
    var keywords: [(name: [UInt8], value: TemplateValue)] = []

    /// The argument at `position`, or passed as `name=`.
    func value(_ position: Int, _ name: StaticString) -> TemplateValue? {
        if position < positional.count { return positional[position] }
        for keyword in keywords where name ~= keyword.name { return keyword.value }
        return nil
    }
}

/// Expression evaluation with Jinja2-on-Python semantics: `and`/`or` return an operand,
/// `/` always gives a float, `//` and `%` floor, attribute and item access fall back to
/// each other, and missing values are undefined rather than errors until they are used.
extension TemplateRenderer {
    func evaluate(_ expression: TemplateExpression) throws(ChatTemplateError) -> TemplateValue {
        try enter()
        defer { depth -= 1 }
        switch expression {
        case let .literal(value):
            return value
        case let .variable(name, _):
            return lookup(name) ?? .undefined(name)
        case let .list(items):
            var values: [TemplateValue] = []
            for item in items { values.append(try evaluate(item)) }
            return .list(values)
        case let .dictionary(entries):
            var dictionary = TemplateDictionary()
            for entry in entries { dictionary.set(try evaluate(entry.key), try evaluate(entry.value)) }
            return .dictionary(dictionary)
        case let .attribute(base, name, location):
            return try attribute(name, of: try evaluate(base), at: location)
        case let .item(base, index, location):
            return try item(try evaluate(index), of: try evaluate(base), at: location)
        case let .slice(base, start, stop, step, location):
            let value = try evaluate(base)
            var bounds: [TemplateValue?] = []
            for part in [start, stop, step] {
                if let part { bounds.append(try evaluate(part)) } else { bounds.append(nil) }
            }
            return try slice(value, bounds[0], bounds[1], bounds[2], at: location)
        case let .call(callee, arguments, location):
            return try call(callee, try evaluate(arguments), at: location)
        case let .filter(base, name, arguments, location):
            return try applyFilter(name, to: try evaluate(base), try evaluate(arguments), at: location)
        case let .test(base, name, arguments, negated, location):
            let passed = try applyTest(name, to: try evaluate(base), try evaluate(arguments), at: location)
            return .bool(passed != negated)
        case let .not(operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case let .negate(operand, location):
            let value = try evaluate(operand)
            switch value {
            case .int, .bool:
                let (negated, overflow) = (0).subtractingReportingOverflow(value.number?.integer ?? 0)
                if overflow { throw failure("integer overflow", at: location) }
                return .int(negated)
            case let .double(number): return .double(-number)
            default: throw failure("bad operand type for unary -: '\(value.typeName)'", at: location)
            }
        case let .binary(op, left, right, location):
            let leftValue = try evaluate(left)
            switch op {
            case .and: return leftValue.isTruthy ? try evaluate(right) : leftValue
            case .or: return leftValue.isTruthy ? leftValue : try evaluate(right)
            default: return try binary(op, leftValue, try evaluate(right), at: location)
            }
        case let .conditional(condition, then, otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            guard let otherwise else { return .undefined([]) }
            return try evaluate(otherwise)
        }
    }

    func evaluate(_ arguments: TemplateArguments) throws(ChatTemplateError) -> CallArguments {
        var evaluated = CallArguments()
        for argument in arguments.positional { evaluated.positional.append(try evaluate(argument)) }
        for keyword in arguments.keywords { evaluated.keywords.append((keyword.name, try evaluate(keyword.value))) }
        return evaluated
    }

    func undefinedFailure(_ name: [UInt8], at location: SourceLocation) -> ChatTemplateError {
        failure(name.isEmpty ? "value is undefined" : "'\(TemplateText.string(name))' is undefined", at: location)
    }

    /// `value.name`: a dict key, namespace attribute or loop property; otherwise undefined.
    func attribute(_ name: [UInt8], of value: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue {
        switch value {
        case let .undefined(undefinedName): throw undefinedFailure(undefinedName, at: location)
        case let .dictionary(dictionary): return dictionary.value(named: name) ?? .undefined(name)
        case let .namespace(namespace): return namespace.attributes.value(named: name) ?? .undefined(name)
        case let .loop(loop): return loop.attribute(name) ?? .undefined(name)
        default: return .undefined(name)
        }
    }

    /// `value[index]`, with Python's negative indices; out of range is undefined, as in Jinja.
    func item(_ index: TemplateValue, of value: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue {
        switch value {
        case let .undefined(name): throw undefinedFailure(name, at: location)
        case let .dictionary(dictionary): return dictionary.value(for: index) ?? .undefined([])
        case let .list(items):
            guard let position = index.number?.integer else { break }
            let resolved = position < 0 ? position + items.count : position
            return resolved >= 0 && resolved < items.count ? items[resolved] : .undefined([])
        case let .string(bytes):
            guard let position = index.number?.integer else { break }
            let ranges = TemplateText.scalarRanges(bytes)
            let resolved = position < 0 ? position + ranges.count : position
            return resolved >= 0 && resolved < ranges.count ? .string(Array(bytes[ranges[resolved]])) : .undefined([])
        default: break
        }
        if case let .string(name) = index { return try attribute(name, of: value, at: location) }
        return .undefined([])
    }

    /// Python slicing (`[1:]`, `[::-1]`) of lists and strings.
    func slice(_ value: TemplateValue, _ start: TemplateValue?, _ stop: TemplateValue?, _ step: TemplateValue?,
               at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue {
        func bound(_ value: TemplateValue?) throws(ChatTemplateError) -> Int? {
            guard let value else { return nil }
            if case .none = value { return nil }
            guard let integer = value.number?.integer else { throw failure("slice indices must be integers or None", at: location) }
            return integer
        }
        let stride = try bound(step) ?? 1
        guard stride != 0 else { throw failure("slice step cannot be zero", at: location) }
        let count: Int
        switch value {
        case let .list(items): count = items.count
        case let .string(bytes): count = TemplateText.scalarCount(bytes)
        case let .undefined(name): throw undefinedFailure(name, at: location)
        default: throw failure("'\(value.typeName)' object is not subscriptable", at: location)
        }
        // CPython's PySlice_AdjustIndices.
        func adjust(_ index: Int?, _ defaultValue: Int) -> Int {
            guard var index else { return defaultValue }
            if index < 0 {
                index += count
                if index < 0 { index = stride < 0 ? -1 : 0 }
            } else if index >= count {
                index = stride < 0 ? count - 1 : count
            }
            return index
        }
        let first = adjust(try bound(start), stride < 0 ? count - 1 : 0)
        let end = adjust(try bound(stop), stride < 0 ? -1 : count)
        var positions: [Int] = []
        var position = first
        while stride > 0 ? position < end : position > end {
            positions.append(position)
            position += stride
        }
        switch value {
        case let .list(items): return .list(positions.map { items[$0] })
        case let .string(bytes):
            let ranges = TemplateText.scalarRanges(bytes)
            var result: [UInt8] = []
            for position in positions { result += bytes[ranges[position]] }
            return .string(result)
        default: return .undefined([])
        }
    }

    /// A call: `obj.method(…)` on strings, dicts, lists and `loop`, or a macro or global function.
    func call(_ callee: TemplateExpression, _ arguments: CallArguments, at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue {
        let function: TemplateValue
        if case let .attribute(base, name, attributeLocation) = callee {
            let object = try evaluate(base)
            if let result = try callMethod(name, on: object, arguments, at: location) { return result }
            function = try attribute(name, of: object, at: attributeLocation)
        } else {
            function = try evaluate(callee)
        }
        switch function {
        case let .macro(macro): return try callMacro(macro, arguments, at: location)
        case let .function(builtin): return try callBuiltin(builtin, arguments, at: location)
        case let .undefined(name): throw undefinedFailure(name, at: location)
        default: throw failure("'\(function.typeName)' object is not callable", at: location)
        }
    }

    func binary(_ op: BinaryOperator, _ left: TemplateValue, _ right: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue {
        switch op {
        case .equal: return .bool(left.equals(right))
        case .notEqual: return .bool(!left.equals(right))
        case .concatenate: return .string(try checkedSize(left.text + right.text, at: location))
        case .contains, .notContains:
            return .bool(try contains(right, left, at: location) == (op == .contains))
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            try requireDefined(left, right, at: location)
            guard let order = left.compare(right) else {
                throw failure("'\(Self.symbol(op))' not supported between '\(left.typeName)' and '\(right.typeName)'", at: location)
            }
            switch op {
            case .less: return .bool(order < 0)
            case .lessOrEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        default:
            try requireDefined(left, right, at: location)
            if let result = try arithmetic(op, left, right, at: location) { return result }
            throw failure("unsupported operand types for \(Self.symbol(op)): '\(left.typeName)' and '\(right.typeName)'", at: location)
        }
    }

    private func requireDefined(_ left: TemplateValue, _ right: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) {
        if case let .undefined(name) = left { throw undefinedFailure(name, at: location) }
        if case let .undefined(name) = right { throw undefinedFailure(name, at: location) }
    }

    static func symbol(_ op: BinaryOperator) -> String {
        switch op {
        case .add: return "+"
        case .subtract: return "-"
        case .multiply: return "*"
        case .divide: return "/"
        case .floorDivide: return "//"
        case .modulo: return "%"
        case .power: return "**"
        case .less: return "<"
        case .lessOrEqual: return "<="
        case .greater: return ">"
        case .greaterOrEqual: return ">="
        default: return "operator"
        }
    }

    func checkedSize(_ bytes: [UInt8], at location: SourceLocation) throws(ChatTemplateError) -> [UInt8] {
        guard bytes.count <= Self.maxOutputBytes else { throw limitFailure("string longer than \(Self.maxOutputBytes) bytes", at: location) }
        return bytes
    }

    /// Python's `needle in haystack`.
    func contains(_ haystack: TemplateValue, _ needle: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) -> Bool {
        switch haystack {
        case let .string(bytes):
            guard case let .string(part) = needle else {
                throw failure("'in <string>' requires string as left operand, not \(needle.typeName)", at: location)
            }
            return part.isEmpty || TemplateText.find(part, in: bytes) != nil
        case let .list(items): return items.contains { $0.equals(needle) }
        case let .dictionary(dictionary): return dictionary.value(for: needle) != nil
        case .undefined: return false
        default: throw failure("argument of type '\(haystack.typeName)' is not iterable", at: location)
        }
    }

    /// `+ - * / // % **` on numbers, and `+`/`*` on strings and lists; nil if the types do not fit.
    private func arithmetic(_ op: BinaryOperator, _ left: TemplateValue, _ right: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue? {
        switch (op, left, right) {
        case let (.add, .string(a), .string(b)): return .string(try checkedSize(a + b, at: location))
        case let (.add, .list(a), .list(b)):
            guard a.count + b.count <= Self.maxCollectionCount else { throw limitFailure("list too long", at: location) }
            return .list(a + b)
        case (.multiply, .string, _), (.multiply, .list, _), (.multiply, _, .string), (.multiply, _, .list):
            return try repeated(left, right, at: location)
        case (.modulo, .string, _):
            throw failure("'%' string formatting is not supported", at: location)
        default: break
        }
        guard let a = left.number, let b = right.number else { return nil }
        if let x = a.integer, let y = b.integer, op != .divide {
            let overflow = failure("integer overflow in \(Self.symbol(op))", at: location)
            switch op {
            case .add: let (r, o) = x.addingReportingOverflow(y); if o { throw overflow }; return .int(r)
            case .subtract: let (r, o) = x.subtractingReportingOverflow(y); if o { throw overflow }; return .int(r)
            case .multiply: let (r, o) = x.multipliedReportingOverflow(by: y); if o { throw overflow }; return .int(r)
            case .floorDivide, .modulo:
                guard y != 0 else { throw failure("integer division or modulo by zero", at: location) }
                let (q, o) = x.dividedReportingOverflow(by: y)
                if o { throw overflow }
                let r = x - q * y
                let floored = (r != 0 && (r < 0) != (y < 0)) ? q - 1 : q
                return .int(op == .floorDivide ? floored : x - floored * y)
            case .power:
                if y < 0 { return .double(Self.power(Double(x), y)) }
                var result = 1, factor = x, remaining = y
                while remaining > 0 {
                    if remaining & 1 == 1 {
                        let (r, o) = result.multipliedReportingOverflow(by: factor)
                        if o { throw overflow }
                        result = r
                    }
                    remaining >>= 1
                    if remaining > 0 {
                        let (f, o) = factor.multipliedReportingOverflow(by: factor)
                        if o { throw overflow }
                        factor = f
                    }
                }
                return .int(result)
            default: return nil
            }
        }
        let x = a.double, y = b.double
        switch op {
        case .add: return .double(x + y)
        case .subtract: return .double(x - y)
        case .multiply: return .double(x * y)
        case .divide:
            guard y != 0 else { throw failure("division by zero", at: location) }
            return .double(x / y)
        case .floorDivide, .modulo:
            guard y != 0 else { throw failure("float division or modulo by zero", at: location) }
            var remainder = x.truncatingRemainder(dividingBy: y)
            if remainder != 0 && (remainder < 0) != (y < 0) { remainder += y }
            return .double(op == .modulo ? remainder : ((x - remainder) / y).rounded())
        case .power:
            guard let exponent = b.integer ?? (y == y.rounded(.towardZero) && y.magnitude < 1e9 ? Int(y) : nil) else {
                throw failure("fractional powers are not supported", at: location)
            }
            return .double(Self.power(x, exponent))
        default: return nil
        }
    }

    static func power(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0, factor = base, remaining = exponent.magnitude
        while remaining > 0 {
            if remaining & 1 == 1 { result *= factor }
            factor *= factor
            remaining >>= 1
        }
        return exponent < 0 ? 1 / result : result
    }

    /// `'ab' * 3` and `[x] * 3`, bounded in size.
    private func repeated(_ left: TemplateValue, _ right: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue? {
        let (sequence, countValue) = left.number == nil ? (left, right) : (right, left)
        guard let count = countValue.number?.integer else { return nil }
        let times = max(count, 0)
        switch sequence {
        case let .string(bytes):
            guard bytes.isEmpty || times <= Self.maxOutputBytes / bytes.count else {
                throw limitFailure("string longer than \(Self.maxOutputBytes) bytes", at: location)
            }
            var result: [UInt8] = []
            for _ in 0..<times { result += bytes }
            return .string(result)
        case let .list(items):
            guard items.isEmpty || times <= Self.maxCollectionCount / items.count else { throw limitFailure("list too long", at: location) }
            var result: [TemplateValue] = []
            for _ in 0..<times { result += items }
            return .list(result)
        default:
            return nil
        }
    }
}
