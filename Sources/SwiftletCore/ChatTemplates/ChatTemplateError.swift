/// What can go wrong parsing or rendering a chat template. Lines and columns are 1-based
/// and count Unicode scalars, pointing into the template source.
public enum ChatTemplateError: Error, Equatable, CustomStringConvertible {
    /// The template does not parse: an unclosed tag, an unknown statement, a stray token.
    case syntax(String, line: Int, column: Int)
    /// An expression failed while rendering: an unknown filter, a type mismatch,
    /// an undefined value used where one is needed.
    case runtime(String, line: Int, column: Int)
    /// The template called `raise_exception(message)`, usually to reject a conversation
    /// shape the model was not trained on (e.g. Gemma's strict user/model alternation).
    case raised(String)
    /// The template outgrew a safety bound: nesting depth, loop iterations or output size.
    case limitExceeded(String, line: Int, column: Int)

    public var description: String {
        switch self {
        case let .syntax(message, line, column):
            return "chat template syntax error at \(line):\(column): \(message)"
        case let .runtime(message, line, column):
            return "chat template error at \(line):\(column): \(message)"
        case let .raised(message):
            return "chat template rejected the conversation: \(message)"
        case let .limitExceeded(message, line, column):
            return "chat template too expensive at \(line):\(column): \(message)"
        }
    }
}

/// A byte offset into the normalized template source, turned into line and column only
/// when an error is reported.
struct SourceLocation {
    var offset: Int

    func lineAndColumn(in source: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var index = 0
        let end = min(offset, source.count)
        while index < end {
            if source[index] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if source[index] & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return (line, column)
    }
}

/// Errors are raised deep inside the lexer, parser and renderer, which know the byte offset;
/// this turns one into the public error with a line and column.
enum TemplateFailure {
    case syntax
    case runtime
    case limit

    func error(_ message: String, at location: SourceLocation, in source: [UInt8]) -> ChatTemplateError {
        let (line, column) = location.lineAndColumn(in: source)
        switch self {
        case .syntax: return .syntax(message, line: line, column: column)
        case .runtime: return .runtime(message, line: line, column: column)
        case .limit: return .limitExceeded(message, line: line, column: column)
        }
    }
}
