import SwiftletCore

/// OpenAI's `response_format`: free text, any JSON object, or JSON valid against a schema.
/// Read from the body as the core's JSON reader gives it, which keeps the order of a schema's
/// properties: the order the answer writes them in.
enum ResponseFormat {
    private static let shape = "'response_format' must be {\"type\": \"text\"}, {\"type\": \"json_object\"} or "
        + "{\"type\": \"json_schema\", \"json_schema\": {\"name\": …, \"schema\": {…}}}"

    /// The grammar the answer must follow, or nil for free text.
    static func grammar(_ body: JSONDocument) throws(APIError) -> Grammar? {
        guard let format = body.member("response_format") else { return nil }
        if case .null = format { return nil }
        guard case let .string(type)? = format.member("type") else {
            throw .invalid("response_format", shape)
        }
        switch String(decoding: type, as: UTF8.self) {
        case "text": return nil
        case "json_object": return Grammar.anyJSONObject
        case "json_schema":
            guard let definition = format.member("json_schema"), case .object = definition else {
                throw .invalid("response_format.json_schema", shape)
            }
            // OpenAI's `strict` asks for what Swiftlet always does: the schema is enforced.
            if let strict = definition.member("strict"), strict != .bool(true), strict != .bool(false), strict != .null {
                throw .invalid("response_format.json_schema.strict", "'response_format.json_schema.strict' must be a boolean")
            }
            let schema = definition.member("schema") ?? .bool(true)
            do {
                return try Grammar(jsonSchema: schema)
            } catch {
                throw .invalid("response_format.json_schema.schema", "'response_format.json_schema.schema' \(error)")
            }
        default:
            throw .invalid("response_format.type", shape)
        }
    }
}
