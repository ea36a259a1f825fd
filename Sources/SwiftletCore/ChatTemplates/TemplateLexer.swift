/// Splits a template into text and tag tokens the way Jinja2's lexer does with Hugging Face's
/// settings (`trim_blocks=True`, `lstrip_blocks=True`), because chat templates are written
/// against exactly that whitespace behaviour and a single stray newline changes the prompt.
struct TemplateLexer {
    let source: [UInt8]
    private var tokens: [TemplateToken] = []
    private var position = 0
    /// Jinja's `line_starting`: the last tag ended with a newline, so `lstrip_blocks` may
    /// strip indentation before the next tag even when the text between has no newline.
    private var lineStarting = true

    private enum TagKind { case variable, block, comment }

    init(source: [UInt8]) { self.source = source }

    /// Jinja's newline handling: `\r\n` and `\r` become `\n`; one trailing newline is dropped.
    static func normalize(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\r") {
                bytes.append(UInt8(ascii: "\n"))
                previousWasCR = true
                continue
            }
            if !(byte == UInt8(ascii: "\n") && previousWasCR) { bytes.append(byte) }
            previousWasCR = false
        }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return bytes
    }

    static func tokenize(_ source: [UInt8]) throws(ChatTemplateError) -> [TemplateToken] {
        var lexer = TemplateLexer(source: source)
        try lexer.run()
        lexer.tokens.append(TemplateToken(kind: .endOfTemplate, location: SourceLocation(offset: source.count)))
        return lexer.tokens
    }

    private func failure(_ message: String, at offset: Int) -> ChatTemplateError {
        TemplateFailure.syntax.error(message, at: SourceLocation(offset: offset), in: source)
    }

    private func byte(at index: Int) -> UInt8? { index < source.count ? source[index] : nil }

    private mutating func run() throws(ChatTemplateError) {
        while position < source.count {
            guard let (tagStart, kind) = nextTag() else {
                emitText(position..<source.count)
                return
            }
            let sign = byte(at: tagStart + 2).flatMap { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") ? $0 : nil }
            emitText(position..<strippedTextEnd(before: tagStart, sign: sign, lstrip: kind != .variable))
            position = tagStart + 2 + (sign == nil ? 0 : 1)
            switch kind {
            case .comment: try skipComment(tagStart: tagStart)
            case .variable:
                tokens.append(TemplateToken(kind: .variableBegin, location: SourceLocation(offset: tagStart)))
                try lexTag(block: false, tagStart: tagStart)
            case .block:
                if let rawEnd = rawBeginEnd(at: tagStart) {
                    position = rawEnd
                    lineStarting = source[rawEnd - 1] == UInt8(ascii: "\n")
                    try lexRawBody(tagStart: tagStart)
                } else {
                    tokens.append(TemplateToken(kind: .blockBegin, location: SourceLocation(offset: tagStart)))
                    try lexTag(block: true, tagStart: tagStart)
                }
            }
        }
    }

    private func nextTag() -> (Int, TagKind)? {
        var index = position
        while index + 1 < source.count {
            if source[index] == UInt8(ascii: "{") {
                switch source[index + 1] {
                case UInt8(ascii: "{"): return (index, .variable)
                case UInt8(ascii: "%"): return (index, .block)
                case UInt8(ascii: "#"): return (index, .comment)
                default: break
                }
            }
            index += 1
        }
        return nil
    }

    /// Where the text before a tag ends after whitespace control: `-` strips all trailing
    /// whitespace; otherwise `lstrip_blocks` strips a line's indentation before a block or
    /// comment tag when nothing else precedes the tag on that line.
    private func strippedTextEnd(before tagStart: Int, sign: UInt8?, lstrip: Bool) -> Int {
        if sign == UInt8(ascii: "-") {
            return TemplateText.trailingWhitespaceStart(source, in: position..<tagStart)
        }
        guard sign == nil && lstrip else { return tagStart }
        var lineStart = tagStart
        while lineStart > position && source[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
        guard lineStart > position || lineStarting, lineStart < tagStart else { return tagStart }
        let onlyWhitespace = TemplateText.leadingWhitespaceEnd(source, from: lineStart) >= tagStart
        return onlyWhitespace ? lineStart : tagStart
    }

    private mutating func emitText(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        tokens.append(TemplateToken(kind: .text, bytes: Array(source[range]), location: SourceLocation(offset: range.lowerBound)))
    }

    /// Ends a tag: `-` eats all following whitespace, `+` nothing, a plain block or comment
    /// end eats one newline (`trim_blocks`).
    private mutating func finishTag(endStart: Int, endLength: Int, sign: UInt8?, trimNewline: Bool) {
        var end = endStart + endLength
        if sign == UInt8(ascii: "-") {
            end = TemplateText.leadingWhitespaceEnd(source, from: end)
        } else if sign == nil && trimNewline && byte(at: end) == UInt8(ascii: "\n") {
            end += 1
        }
        lineStarting = source[end - 1] == UInt8(ascii: "\n")
        position = end
    }

    private mutating func skipComment(tagStart: Int) throws(ChatTemplateError) {
        let contentStart = position
        guard let close = TemplateText.find([UInt8(ascii: "#"), UInt8(ascii: "}")], in: source, from: contentStart) else {
            throw failure("missing end of comment tag", at: tagStart)
        }
        var sign: UInt8? = nil
        if close > contentStart, source[close - 1] == UInt8(ascii: "-") || source[close - 1] == UInt8(ascii: "+") {
            sign = source[close - 1]
        }
        finishTag(endStart: close, endLength: 2, sign: sign, trimNewline: true)
    }

    /// `{% raw %}` (with optional `-`/`+`) ending at the returned offset, or nil.
    private func rawBeginEnd(at tagStart: Int) -> Int? {
        var index = tagStart + 2
        if byte(at: index) == UInt8(ascii: "-") || byte(at: index) == UInt8(ascii: "+") { index += 1 }
        index = TemplateText.leadingWhitespaceEnd(source, from: index)
        guard TemplateText.hasPrefix(source, Array("raw".utf8), at: index) else { return nil }
        index = TemplateText.leadingWhitespaceEnd(source, from: index + 3)
        if TemplateText.hasPrefix(source, Array("-%}".utf8), at: index) {
            return TemplateText.leadingWhitespaceEnd(source, from: index + 3)
        }
        return TemplateText.hasPrefix(source, Array("%}".utf8), at: index) ? index + 2 : nil
    }

    private mutating func lexRawBody(tagStart: Int) throws(ChatTemplateError) {
        var search = position
        while let open = TemplateText.find(Array("{%".utf8), in: source, from: search) {
            search = open + 2
            var index = open + 2
            let sign = byte(at: index).flatMap { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") ? $0 : nil }
            if sign != nil { index += 1 }
            index = TemplateText.leadingWhitespaceEnd(source, from: index)
            guard TemplateText.hasPrefix(source, Array("endraw".utf8), at: index) else { continue }
            index = TemplateText.leadingWhitespaceEnd(source, from: index + 6)
            var closeSign: UInt8? = nil
            if byte(at: index) == UInt8(ascii: "-") || byte(at: index) == UInt8(ascii: "+") {
                closeSign = source[index]
                index += 1
            }
            guard TemplateText.hasPrefix(source, Array("%}".utf8), at: index) else { continue }
            emitText(position..<strippedTextEnd(before: open, sign: sign, lstrip: true))
            finishTag(endStart: index, endLength: 2, sign: closeSign, trimNewline: true)
            return
        }
        throw failure("missing end of raw directive", at: tagStart)
    }

    /// The tokens inside `{{ … }}` or `{% … %}`, up to and including the closing token. A
    /// closing `}}` or `%}` only counts outside brackets, as in Jinja.
    private mutating func lexTag(block: Bool, tagStart: Int) throws(ChatTemplateError) {
        var open: [TemplateOperator] = []
        while true {
            guard position < source.count else {
                throw failure("unexpected end of template, expected '\(block ? "%}" : "}}")'", at: tagStart)
            }
            if open.isEmpty {
                let closer: [UInt8] = block ? Array("%}".utf8) : Array("}}".utf8)
                let first = source[position]
                if TemplateText.hasPrefix(source, closer, at: position) {
                    tokens.append(TemplateToken(kind: block ? .blockEnd : .variableEnd, location: SourceLocation(offset: position)))
                    finishTag(endStart: position, endLength: 2, sign: nil, trimNewline: block)
                    return
                }
                let signed = first == UInt8(ascii: "-") || (block && first == UInt8(ascii: "+"))
                if signed && TemplateText.hasPrefix(source, closer, at: position + 1) {
                    tokens.append(TemplateToken(kind: block ? .blockEnd : .variableEnd, location: SourceLocation(offset: position)))
                    finishTag(endStart: position + 1, endLength: 2, sign: first, trimNewline: block)
                    return
                }
            }
            let (scalar, length) = TemplateText.scalar(in: source, at: position)
            let start = position
            if TemplateText.isWhitespace(scalar) {
                position += length
            } else if isDigit(source[start]) {
                try lexNumber()
            } else if isNameStart(source[start]) {
                while position < source.count && (isNameStart(source[position]) || isDigit(source[position])) { position += 1 }
                tokens.append(TemplateToken(kind: .name, bytes: Array(source[start..<position]), location: SourceLocation(offset: start)))
            } else if source[start] == UInt8(ascii: "'") || source[start] == UInt8(ascii: "\"") {
                try lexString()
            } else if let symbol = lexSymbol() {
                switch symbol {
                case .leftParen: open.append(.rightParen)
                case .leftBracket: open.append(.rightBracket)
                case .leftBrace: open.append(.rightBrace)
                case .rightParen, .rightBracket, .rightBrace:
                    guard let expected = open.popLast() else { throw failure("unexpected '\(TemplateText.string([source[start]]))'", at: start) }
                    guard expected == symbol else {
                        throw failure("unexpected '\(TemplateText.string([source[start]]))', brackets do not match", at: start)
                    }
                default: break
                }
                tokens.append(TemplateToken(kind: .symbol(symbol), location: SourceLocation(offset: start)))
            } else {
                throw failure("unexpected character '\(TemplateText.string(Array(source[start..<start + length])))'", at: start)
            }
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    private func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == UInt8(ascii: "_")
    }

    private mutating func skipDigits() {
        while position < source.count && (isDigit(source[position])
            || (source[position] == UInt8(ascii: "_") && position + 1 < source.count && isDigit(source[position + 1]))) {
            position += 1
        }
    }

    /// Integers and floats (`1`, `1_000`, `2.5`, `1e-3`). Right after a `.` only an integer
    /// is read, so `messages.0.content` indexes rather than reading `0.` as a float.
    private mutating func lexNumber() throws(ChatTemplateError) {
        let start = position
        skipDigits()
        var isFloat = false
        let afterDot = tokens.last.map { $0.kind == .symbol(.dot) } ?? false
        if !afterDot {
            if byte(at: position) == UInt8(ascii: "."), let next = byte(at: position + 1), isDigit(next) {
                position += 1
                skipDigits()
                isFloat = true
            }
            if byte(at: position) == UInt8(ascii: "e") || byte(at: position) == UInt8(ascii: "E") {
                var index = position + 1
                if byte(at: index) == UInt8(ascii: "+") || byte(at: index) == UInt8(ascii: "-") { index += 1 }
                if let digit = byte(at: index), isDigit(digit) {
                    position = index
                    skipDigits()
                    isFloat = true
                }
            }
        }
        let text = Array(source[start..<position])
        if isFloat {
            guard let value = TemplateFormatting.parseFloat(text) else { throw failure("malformed number", at: start) }
            tokens.append(TemplateToken(kind: .float, float: value, location: SourceLocation(offset: start)))
        } else {
            guard let value = TemplateFormatting.parseInteger(text) else {
                throw failure("integer literal too large", at: start)
            }
            tokens.append(TemplateToken(kind: .integer, integer: value, location: SourceLocation(offset: start)))
        }
    }

    private mutating func lexSymbol() -> TemplateOperator? {
        let first = source[position]
        let second = byte(at: position + 1) ?? 0
        let pairs: [(UInt8, UInt8, TemplateOperator)] = [
            (0x2F, 0x2F, .floorDivide), (0x2A, 0x2A, .power), (0x3D, 0x3D, .equal),
            (0x21, 0x3D, .notEqual), (0x3E, 0x3D, .greaterOrEqual), (0x3C, 0x3D, .lessOrEqual),
        ]
        for (a, b, symbol) in pairs where first == a && second == b {
            position += 2
            return symbol
        }
        let single: TemplateOperator
        switch first {
        case UInt8(ascii: "+"): single = .add
        case UInt8(ascii: "-"): single = .subtract
        case UInt8(ascii: "/"): single = .divide
        case UInt8(ascii: "*"): single = .multiply
        case UInt8(ascii: "%"): single = .modulo
        case UInt8(ascii: "~"): single = .concatenate
        case UInt8(ascii: "["): single = .leftBracket
        case UInt8(ascii: "]"): single = .rightBracket
        case UInt8(ascii: "("): single = .leftParen
        case UInt8(ascii: ")"): single = .rightParen
        case UInt8(ascii: "{"): single = .leftBrace
        case UInt8(ascii: "}"): single = .rightBrace
        case UInt8(ascii: ">"): single = .greater
        case UInt8(ascii: "<"): single = .less
        case UInt8(ascii: "="): single = .assign
        case UInt8(ascii: "."): single = .dot
        case UInt8(ascii: ":"): single = .colon
        case UInt8(ascii: "|"): single = .pipe
        case UInt8(ascii: ","): single = .comma
        case UInt8(ascii: ";"): single = .semicolon
        default: return nil
        }
        position += 1
        return single
    }

    /// A quoted literal with Python's escapes (`\n`, `\t`, `\xHH`, `\uHHHH`, octal, …);
    /// an unknown escape keeps its backslash, as Python's `unicode_escape` does.
    private mutating func lexString() throws(ChatTemplateError) {
        let start = position
        let quote = source[start]
        var index = start + 1
        var value: [UInt8] = []
        while true {
            guard index < source.count else { throw failure("unterminated string literal", at: start) }
            let byte = source[index]
            if byte == quote { break }
            guard byte == UInt8(ascii: "\\") else { value.append(byte); index += 1; continue }
            guard index + 1 < source.count else { throw failure("unterminated string literal", at: start) }
            let escaped = source[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "n"): value.append(0x0A)
            case UInt8(ascii: "t"): value.append(0x09)
            case UInt8(ascii: "r"): value.append(0x0D)
            case UInt8(ascii: "a"): value.append(0x07)
            case UInt8(ascii: "b"): value.append(0x08)
            case UInt8(ascii: "f"): value.append(0x0C)
            case UInt8(ascii: "v"): value.append(0x0B)
            case UInt8(ascii: "\n"): break
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): value.append(escaped)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var code = UInt32(escaped - 48)
                var digits = 1
                while digits < 3, index < source.count, source[index] >= 48, source[index] <= 55 {
                    code = code * 8 + UInt32(source[index] - 48)
                    index += 1
                    digits += 1
                }
                TemplateText.append(scalar: code, to: &value)
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let width = escaped == UInt8(ascii: "x") ? 2 : escaped == UInt8(ascii: "u") ? 4 : 8
                var code: UInt32 = 0
                for _ in 0..<width {
                    guard index < source.count, let digit = hexValue(source[index]) else {
                        throw failure("truncated \\\(TemplateText.string([escaped])) escape in string literal", at: start)
                    }
                    code = code << 4 | digit
                    index += 1
                }
                guard code <= 0x10FFFF, !(0xD800...0xDFFF).contains(code) else {
                    throw failure("invalid code point escape in string literal", at: start)
                }
                TemplateText.append(scalar: code, to: &value)
            default:
                value += [UInt8(ascii: "\\"), escaped]
            }
        }
        position = index + 1
        // Adjacent literals concatenate ("a" "b"), which the parser handles; keep each token.
        tokens.append(TemplateToken(kind: .string, bytes: value, location: SourceLocation(offset: start)))
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 48...57: return UInt32(byte - 48)
        case 65...70: return UInt32(byte - 55)
        case 97...102: return UInt32(byte - 87)
        default: return nil
        }
    }
}
