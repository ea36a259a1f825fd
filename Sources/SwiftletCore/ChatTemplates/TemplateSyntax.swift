/// The parsed form of a template: statements (`TemplateNode`) holding expressions
/// (`TemplateExpression`). Names are UTF-8 bytes; every node that can fail at render time
/// keeps its source location for the error message.

enum TemplateOperator: Equatable {
    case add, subtract, multiply, divide, floorDivide, modulo, power, concatenate
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
    case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
    case assign, dot, colon, pipe, comma, semicolon
}

struct TemplateToken {
    enum Kind: Equatable {
        case text, variableBegin, variableEnd, blockBegin, blockEnd
        case name, string, integer, float
        case symbol(TemplateOperator)
        case endOfTemplate
    }

    var kind: Kind
    /// Text, name or (unescaped) string literal bytes.
    var bytes: [UInt8] = []
    var integer: Int = 0
    var float: Double = 0
    var location: SourceLocation
}

enum BinaryOperator {
    case add, subtract, multiply, divide, floorDivide, modulo, power, concatenate
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual, contains, notContains
    case and, or
}

/// Arguments of a call, filter or test, as written.
struct TemplateArguments {
    var positional: [TemplateExpression] = []
    var keywords: [(name: [UInt8], value: TemplateExpression)] = []
}

indirect enum TemplateExpression {
    case literal(TemplateValue)
    case variable([UInt8], SourceLocation)
    /// `[a, b]` and `(a, b)`; Python tuples behave as lists here.
    case list([TemplateExpression])
    case dictionary([(key: TemplateExpression, value: TemplateExpression)])
    case attribute(TemplateExpression, [UInt8], SourceLocation)
    case item(TemplateExpression, TemplateExpression, SourceLocation)
    case slice(TemplateExpression, start: TemplateExpression?, stop: TemplateExpression?,
               step: TemplateExpression?, SourceLocation)
    case call(TemplateExpression, TemplateArguments, SourceLocation)
    case filter(TemplateExpression, name: [UInt8], TemplateArguments, SourceLocation)
    case test(TemplateExpression, name: [UInt8], TemplateArguments, negated: Bool, SourceLocation)
    case not(TemplateExpression)
    case negate(TemplateExpression, SourceLocation)
    case binary(BinaryOperator, TemplateExpression, TemplateExpression, SourceLocation)
    /// `then if condition else otherwise`; a missing `else` yields undefined, as in Jinja.
    case conditional(condition: TemplateExpression, then: TemplateExpression, otherwise: TemplateExpression?)
}

/// Where `set` and `for` put values: names (several unpack a sequence) or `namespace.attribute`.
enum AssignmentTarget {
    case names([[UInt8]])
    case attribute(namespace: [UInt8], attribute: [UInt8])
}

struct ForLoop {
    var targets: [[UInt8]]
    var iterable: TemplateExpression
    var filter: TemplateExpression?
    var body: [TemplateNode]
    var otherwise: [TemplateNode]
    var location: SourceLocation
}

/// A `{% macro %}`; a class so that the value stored in a variable shares the parsed body.
final class MacroDefinition {
    let name: [UInt8]
    let parameters: [(name: [UInt8], defaultValue: TemplateExpression?)]
    let body: [TemplateNode]

    init(name: [UInt8], parameters: [(name: [UInt8], defaultValue: TemplateExpression?)], body: [TemplateNode]) {
        self.name = name
        self.parameters = parameters
        self.body = body
    }
}

indirect enum TemplateNode {
    case text([UInt8])
    case output(TemplateExpression, SourceLocation)
    case conditional(branches: [(condition: TemplateExpression, body: [TemplateNode])], otherwise: [TemplateNode])
    case forLoop(ForLoop)
    case set(AssignmentTarget, TemplateExpression, SourceLocation)
    /// `{% set name %}…{% endset %}`: the rendered body becomes the value.
    case setBlock(AssignmentTarget, [TemplateNode], SourceLocation)
    case macro(MacroDefinition)
    /// `{% filter name(args) %}…{% endfilter %}`.
    case filterBlock(name: [UInt8], TemplateArguments, [TemplateNode], SourceLocation)
    /// A body rendered as is, e.g. Hugging Face's `{% generation %}` marker block.
    case sequence([TemplateNode])
    case breakLoop
    case continueLoop
}
