import Swiftlet
import SwiftletCore

/// OpenAI's function tools, for every model: the tools are described in the system message
/// (the chat templates of the models here have no tools of their own) and the answer is held
/// to a grammar — a call `{"name": …, "arguments": {…}}` whose arguments follow that tool's
/// schema, or, with `tool_choice` "auto", text that does not begin with "{".
struct ToolUse: Sendable {
    struct Tool: Sendable {
        var name: [UInt8]
        var description: [UInt8]?
        /// The JSON Schema of the arguments.
        var parameters: JSONDocument
    }

    enum Choice: Sendable, Equatable {
        case auto, required
        case named([UInt8])
    }

    var tools: [Tool]
    var choice: Choice

    /// `tools` and `tool_choice` from the raw body (the core's reader keeps a schema's order);
    /// nil without tools or with `tool_choice` "none".
    static func read(_ body: JSONDocument) throws(APIError) -> ToolUse? {
        guard let listed = body.member("tools") else { return nil }
        if case .null = listed { return nil }
        let toolShape = "an array of {\"type\": \"function\", \"function\": {\"name\", \"description\", \"parameters\"}}"
        guard case let .array(entries) = listed else { throw .invalid("tools", "'tools' must be \(toolShape)") }
        var tools: [Tool] = []
        for (index, entry) in entries.enumerated() {
            let param = "tools[\(index)]"
            guard entry.member("type") == .string(Array("function".utf8)), let function = entry.member("function"),
                  case let .string(name)? = function.member("name"), !name.isEmpty
            else { throw .invalid(param, "'\(param)' must be {\"type\": \"function\", \"function\": {\"name\": …}}") }
            var description: [UInt8]?
            if case let .string(text)? = function.member("description") { description = text }
            // No parameters: no arguments (OpenAI's reading), so `{}`.
            let parameters = function.member("parameters")
                ?? .object([(Array("type".utf8), .string(Array("object".utf8))), (Array("additionalProperties".utf8), .bool(false))])
            // Checked now, so that a bad schema is a 400 naming the tool before anything runs.
            do { _ = try JSONSchemaGrammar.gbnf(schema: parameters) } catch {
                throw .invalid("\(param).function.parameters", "'\(param).function.parameters' \(error)")
            }
            tools.append(Tool(name: name, description: description, parameters: parameters))
        }
        if tools.isEmpty { return nil }
        let choiceShape = "\"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": …}} naming a tool"
        switch body.member("tool_choice") {
        case nil, .null?, .string(Array("auto".utf8))?: return ToolUse(tools: tools, choice: .auto)
        case .string(Array("none".utf8))?: return nil
        case .string(Array("required".utf8))?: return ToolUse(tools: tools, choice: .required)
        case let choice?:
            guard case let .string(name)? = choice.member("function")?.member("name"), tools.contains(where: { $0.name == name })
            else { throw .invalid("tool_choice", "'tool_choice' must be \(choiceShape)") }
            return ToolUse(tools: tools, choice: .named(name))
        }
    }

    /// What the system message gains: the tools, and how to call one.
    var instructions: String {
        var text = choice == .auto
            ? "You can call a tool. To call one, answer with only a JSON object {\"name\": tool name, \"arguments\": {…}}; otherwise answer in text."
            : "Answer by calling a tool: only a JSON object {\"name\": tool name, \"arguments\": {…}}."
        text += " The tools:"
        for tool in tools {
            var line: [UInt8] = Array("\n- ".utf8) + tool.name
            if let description = tool.description { line += Array(": ".utf8) + description }
            line += Array(" Arguments (JSON Schema): ".utf8)
            tool.parameters.appendCompact(to: &line)
            text += String(decoding: line, as: UTF8.self)
        }
        return text
    }

    /// `messages` with the instructions in the system message (a new first one if none).
    func instructed(_ messages: [ChatMessage]) -> [ChatMessage] {
        var messages = messages
        if let first = messages.first, first.role == "system" {
            messages[0] = ChatMessage(role: "system", content: first.content + "\n\n" + instructions)
        } else {
            messages.insert(ChatMessage(role: "system", content: instructions), at: 0)
        }
        return messages
    }

    /// The grammar of the answer: a call of one of the tools (the one named), or with
    /// "auto" also text that does not begin with "{".
    func grammar() throws(APIError) -> Grammar {
        let callable = tools.filter { tool in
            if case let .named(name) = choice { tool.name == name } else { true }
        }
        let calls: [JSONDocument] = callable.enumerated().map { index, tool in
            // The call wraps the tool's schema, so its "#…" references are moved under it.
            let at = (callable.count == 1 ? "" : "/anyOf/\(index)") + "/properties/arguments"
            return .object([
                (Array("type".utf8), .string(Array("object".utf8))),
                (Array("properties".utf8), .object([
                    (Array("name".utf8), .object([(Array("const".utf8), .string(tool.name))])),
                    (Array("arguments".utf8), Self.moving(tool.parameters, under: Array(at.utf8))),
                ])),
                (Array("required".utf8), .array([.string(Array("name".utf8)), .string(Array("arguments".utf8))])),
            ])
        }
        let schema: JSONDocument = calls.count == 1 ? calls[0] : .object([(Array("anyOf".utf8), .array(calls))])
        do {
            var text = try JSONSchemaGrammar.gbnf(schema: schema)
            guard choice == .auto else { return try Grammar(gbnf: text) }
            // The schema's rules start at `root`; the answer is that or free text.
            text += Array("\nswiftlet-answer ::= root | [^{\\x00] [^\\x00]*\n".utf8)
            return try Grammar(gbnf: text, root: "swiftlet-answer")
        } catch {
            throw APIError(status: .badRequest, message: "the tools' grammar could not be made: \(error)", param: "tools")
        }
    }

    /// The call an answer makes, if it is one: the tool's name and its arguments as compact
    /// JSON text, members in the order written.
    static func call(in answer: String) -> (name: String, arguments: String)? {
        guard answer.first == "{", let call = try? JSONDocument.parse(Array(answer.utf8)),
              case let .string(name)? = call.member("name"), let arguments = call.member("arguments")
        else { return nil }
        var text: [UInt8] = []
        arguments.appendCompact(to: &text)
        return (String(decoding: name, as: UTF8.self), String(decoding: text, as: UTF8.self))
    }

    /// `schema` with its local references ("#…") pointing `under` a wrapper's path.
    private static func moving(_ schema: JSONDocument, under path: [UInt8]) -> JSONDocument {
        switch schema {
        case let .object(members):
            return .object(members.map { member in
                if member.key.elementsEqual("$ref".utf8), case let .string(target) = member.value, target.first == UInt8(ascii: "#") {
                    return (member.key, .string([UInt8(ascii: "#")] + path + target.dropFirst()))
                }
                return (member.key, moving(member.value, under: path))
            })
        case let .array(items): return .array(items.map { moving($0, under: path) })
        default: return schema
        }
    }
}
