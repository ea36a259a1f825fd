/// Runs a parsed template: statements, variable scopes and the safety bounds. Scoping
/// follows Jinja2: a `for` body gets a fresh scope per iteration (so `set` inside a loop does
/// not leak out; use a namespace), `if` bodies share the enclosing scope, and a macro body
/// sees its arguments plus the template's top-level variables.
final class TemplateRenderer {
    /// Bounds that turn a hostile or runaway template into an error, generous for any
    /// real chat template: output bytes, loop iterations plus macro calls, and nesting of
    /// evaluation (which only macro recursion can push past the parser's own limit).
    static let maxOutputBytes = 1 << 20
    static let maxSteps = 1_000_000
    static let maxDepth = 400
    /// The largest list or string a single operation may build (`range`, `*`, `+`).
    static let maxCollectionCount = 1 << 20

    typealias Frame = [(name: [UInt8], value: TemplateValue)]

    let source: [UInt8]
    var output: [UInt8] = []
    /// Frame 0 holds the globals and top-level `set`s; frames above it belong to loop
    /// iterations and macro calls.
    var frames: [Frame]
    /// The lowest frame visible besides frame 0: a macro body does not see its caller's locals.
    var floor = 1
    var steps = 0
    var depth = 0
    var loopDepth = 0
    /// The statement being run, for errors that have no better location.
    var location = SourceLocation(offset: 0)

    enum Flow { case normal, breakLoop, continueLoop }

    init(source: [UInt8], globals: Frame) {
        self.source = source
        self.frames = [globals]
    }

    func failure(_ message: String, at location: SourceLocation? = nil) -> ChatTemplateError {
        TemplateFailure.runtime.error(message, at: location ?? self.location, in: source)
    }

    func limitFailure(_ message: String, at location: SourceLocation? = nil) -> ChatTemplateError {
        TemplateFailure.limit.error(message, at: location ?? self.location, in: source)
    }

    func enter() throws(ChatTemplateError) {
        depth += 1
        if depth > Self.maxDepth { throw limitFailure("templates nest (or macros recurse) deeper than \(Self.maxDepth) levels") }
    }

    func countStep() throws(ChatTemplateError) {
        steps += 1
        if steps > Self.maxSteps { throw limitFailure("more than \(Self.maxSteps) loop iterations and macro calls") }
    }

    func write(_ bytes: [UInt8]) throws(ChatTemplateError) {
        if output.count + bytes.count > Self.maxOutputBytes {
            throw limitFailure("output larger than \(Self.maxOutputBytes) bytes")
        }
        output += bytes
    }

    // MARK: Variables

    func lookup(_ name: [UInt8]) -> TemplateValue? {
        var index = frames.count - 1
        while index >= floor {
            for entry in frames[index] where entry.name == name { return entry.value }
            index -= 1
        }
        for entry in frames[0] where entry.name == name { return entry.value }
        return BuiltinFunction.named(name).map { .function($0) }
    }

    func assign(_ name: [UInt8], _ value: TemplateValue) {
        let top = frames.count - 1
        for index in frames[top].indices where frames[top][index].name == name {
            frames[top][index].value = value
            return
        }
        frames[top].append((name, value))
    }

    func assign(_ target: AssignmentTarget, _ value: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) {
        switch target {
        case let .names(names):
            if names.count == 1 { assign(names[0], value); return }
            let items = try unpack(value, count: names.count, at: location)
            for (name, item) in zip(names, items) { assign(name, item) }
        case let .attribute(namespaceName, attribute):
            guard case let .namespace(namespace)? = lookup(namespaceName) else {
                throw failure("cannot assign attribute on non-namespace object '\(TemplateText.string(namespaceName))'", at: location)
            }
            namespace.attributes.set(.string(attribute), value)
        }
    }

    func unpack(_ value: TemplateValue, count: Int, at location: SourceLocation) throws(ChatTemplateError) -> [TemplateValue] {
        let items = try iterate(value, at: location)
        guard items.count == count else {
            throw failure(items.count < count
                ? "not enough values to unpack (expected \(count), got \(items.count))"
                : "too many values to unpack (expected \(count))", at: location)
        }
        return items
    }

    /// What `for` walks: list items, dict keys, string scalars; undefined is empty.
    func iterate(_ value: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) -> [TemplateValue] {
        switch value {
        case let .list(items): return items
        case let .dictionary(dictionary): return dictionary.entries.map { $0.key }
        case let .string(bytes):
            return TemplateText.scalarRanges(bytes).map { .string(Array(bytes[$0])) }
        case .undefined: return []
        default: throw failure("'\(value.typeName)' object is not iterable", at: location)
        }
    }

    // MARK: Statements

    func execute(_ nodes: [TemplateNode]) throws(ChatTemplateError) -> Flow {
        try enter()
        defer { depth -= 1 }
        for node in nodes {
            let flow = try execute(node)
            if flow != .normal { return flow }
        }
        return .normal
    }

    func execute(_ node: TemplateNode) throws(ChatTemplateError) -> Flow {
        switch node {
        case let .text(bytes):
            try write(bytes)
        case let .output(expression, location):
            self.location = location
            try write(try evaluate(expression).text)
        case let .conditional(branches, otherwise):
            for branch in branches {
                if try evaluate(branch.condition).isTruthy { return try execute(branch.body) }
            }
            return try execute(otherwise)
        case let .forLoop(loop):
            return try run(loop)
        case let .set(target, expression, location):
            self.location = location
            try assign(target, try evaluate(expression), at: location)
        case let .setBlock(target, body, location):
            let text = try capture(body)
            try assign(target, .string(text), at: location)
        case let .macro(definition):
            assign(definition.name, .macro(definition))
        case let .filterBlock(name, arguments, body, location):
            let text = try capture(body)
            let evaluated = try evaluate(arguments)
            try write(try applyFilter(name, to: .string(text), evaluated, at: location).text)
        case let .sequence(body):
            return try execute(body)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    /// Renders `body` into a string instead of the output (macros, `set` and `filter` blocks).
    func capture(_ body: [TemplateNode]) throws(ChatTemplateError) -> [UInt8] {
        let saved = output
        output = []
        _ = try execute(body)
        let captured = output
        output = saved
        return captured
    }

    func run(_ loop: ForLoop) throws(ChatTemplateError) -> Flow {
        location = loop.location
        var items = try iterate(try evaluate(loop.iterable), at: loop.location)
        if let filter = loop.filter {
            var kept: [TemplateValue] = []
            for item in items {
                try countStep()
                frames.append([])
                try bind(loop.targets, to: item, at: loop.location)
                if try evaluate(filter).isTruthy { kept.append(item) }
                frames.removeLast()
            }
            items = kept
        }
        if items.isEmpty { return try execute(loop.otherwise) }
        let context = LoopContext(items: items, depth0: loopDepth)
        loopDepth += 1
        defer { loopDepth -= 1 }
        for (index, item) in items.enumerated() {
            try countStep()
            context.index0 = index
            frames.append([])
            try bind(loop.targets, to: item, at: loop.location)
            assign(TemplateText.bytes("loop"), .loop(context))
            let flow = try execute(loop.body)
            frames.removeLast()
            if flow == .breakLoop { break }
        }
        return .normal
    }

    private func bind(_ targets: [[UInt8]], to item: TemplateValue, at location: SourceLocation) throws(ChatTemplateError) {
        if targets.count == 1 {
            assign(targets[0], item)
        } else {
            for (name, value) in zip(targets, try unpack(item, count: targets.count, at: location)) { assign(name, value) }
        }
    }

    func callMacro(_ macro: MacroDefinition, _ arguments: CallArguments, at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue {
        try countStep()
        let name = TemplateText.string(macro.name)
        guard arguments.positional.count <= macro.parameters.count else {
            throw failure("macro '\(name)' takes not more than \(macro.parameters.count) argument(s)", at: location)
        }
        for keyword in arguments.keywords where !macro.parameters.contains(where: { $0.name == keyword.name }) {
            throw failure("macro '\(name)' has no argument '\(TemplateText.string(keyword.name))'", at: location)
        }
        frames.append([])
        let savedFloor = floor
        floor = frames.count - 1
        defer {
            frames.removeLast()
            floor = savedFloor
        }
        for (index, parameter) in macro.parameters.enumerated() {
            var value: TemplateValue = .undefined(parameter.name)
            if index < arguments.positional.count {
                value = arguments.positional[index]
            } else if let keyword = arguments.keywords.first(where: { $0.name == parameter.name }) {
                value = keyword.value
            } else if let defaultValue = parameter.defaultValue {
                value = try evaluate(defaultValue)
            }
            assign(parameter.name, value)
        }
        return .string(try capture(macro.body))
    }
}
