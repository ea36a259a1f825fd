import SwiftletCore

/// A JSON value with object keys in the order they were written, so that the CLI's
/// `--json` output is stable for the scripts and tests that read it. Strings and numbers
/// are written by the core's `JSONText`, the one writer every part of Swiftlet uses.
public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (lhs: JSON, rhs: JSON) -> Bool { lhs.rendered() == rhs.rendered() }

    /// The value as JSON text; `indent` > 0 pretty-prints.
    public func rendered(indent: Int = 0) -> String {
        var out: [UInt8] = []
        write(to: &out, indent: indent, depth: 0)
        return String(decoding: out, as: UTF8.self)
    }

    private func write(to out: inout [UInt8], indent: Int, depth: Int) {
        func newline() { if indent > 0 { out.append(UInt8(ascii: "\n")) } }
        func pad(_ level: Int) { out += repeatElement(UInt8(ascii: " "), count: indent * level) }
        switch self {
        case .null: out += "null".utf8
        case let .bool(b): out += (b ? "true" : "false").utf8
        case let .int(i): JSONText.appendNumber(i, to: &out)
        case let .uint(u): JSONText.appendNumber(u, to: &out)
        case let .double(d): JSONText.appendNumber(d, to: &out)
        case let .string(s): JSONText.appendString(s.utf8, to: &out)
        case let .array(items):
            guard !items.isEmpty else { out += "[]".utf8; return }
            out.append(UInt8(ascii: "["))
            newline()
            for (i, item) in items.enumerated() {
                pad(depth + 1)
                item.write(to: &out, indent: indent, depth: depth + 1)
                if i < items.count - 1 { out.append(UInt8(ascii: ",")) }
                newline()
            }
            pad(depth)
            out.append(UInt8(ascii: "]"))
        case let .object(fields):
            guard !fields.isEmpty else { out += "{}".utf8; return }
            out.append(UInt8(ascii: "{"))
            newline()
            for (i, (key, value)) in fields.enumerated() {
                pad(depth + 1)
                JSONText.appendString(key.utf8, to: &out)
                out += (indent > 0 ? ": " : ":").utf8
                value.write(to: &out, indent: indent, depth: depth + 1)
                if i < fields.count - 1 { out.append(UInt8(ascii: ",")) }
                newline()
            }
            pad(depth)
            out.append(UInt8(ascii: "}"))
        }
    }
}
