// The chat-template layer: text in, text out. It uses nothing of the core but Support/;
// the model file and its special tokens reach it as strings through Engine/ChatFormatter,
// so this layer and Tokenizer/ never depend on each other.

/// One turn of a conversation, as chat templates see it (`message.role`, `message.content`).
public struct ChatMessage: Sendable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A value for an extra template variable, such as Qwen 3's `enable_thinking` or Llama 3's
/// `date_string`.
public enum ChatTemplateValue: Sendable {
    case string(String)
    case bool(Bool)
    case int(Int)
    case none
}

/// A model's chat template (the Jinja text in GGUF's `tokenizer.chat_template`), parsed
/// once and rendered per conversation into the exact prompt text the model was trained on.
///
/// It renders the way Hugging Face's `apply_chat_template` does: Jinja2 with
/// `trim_blocks`, `lstrip_blocks`, the `loopcontrols` extension, `raise_exception`,
/// `strftime_now` and a `tojson` that keeps non-ASCII text. `tools` and `documents` are
/// defined as `none`. Differences from Jinja2, by design of the Embedded core:
/// - `strftime_now(format)` formats a fixed date, Thursday 26 November 2026, since the core
///   has no clock; pass `date_string` in `variables` for a real one where templates take it.
/// - `upper`/`lower`/`title` map case for ASCII, Latin-1, Latin Extended-A, Greek and
///   Cyrillic only; other scripts keep their case.
/// - Integers are 64-bit (overflow is an error, not a big integer); tuples print as lists.
/// - Not supported: `include`/`import`/`extends`/`block`, `call` blocks, recursive loops,
///   `*args`/`**kwargs`, `%` string formatting, format specs in `str.format`, and the
///   rarer filters and tests (the supported ones are listed in TemplateFilters.swift).
/// Bounds: 1 MiB of output, 1,000,000 loop iterations plus macro calls, nesting depth 100 in
/// the source and 400 while rendering; past them rendering stops with `.limitExceeded`.
/// The rendered text often starts with `bos_token`: tokenize it without adding another BOS.
/// A parsed template is immutable, so one can be shared across threads.
public struct ChatTemplate: @unchecked Sendable {
    let source: [UInt8]
    let nodes: [TemplateNode]

    public init(_ source: String) throws(ChatTemplateError) {
        self.source = TemplateLexer.normalize(source)
        self.nodes = try TemplateParser.parse(self.source)
    }

    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
                       variables: [(name: String, value: ChatTemplateValue)] = []) throws(ChatTemplateError) -> String {
        var conversation: [TemplateValue] = []
        for message in messages {
            var entry = TemplateDictionary()
            entry.set(.string("role"), .string(message.role))
            entry.set(.string("content"), .string(message.content))
            conversation.append(.dictionary(entry))
        }
        var globals: TemplateRenderer.Frame = [
            (TemplateText.bytes("messages"), .list(conversation)),
            (TemplateText.bytes("add_generation_prompt"), .bool(addGenerationPrompt)),
            (TemplateText.bytes("bos_token"), .string(bosToken)),
            (TemplateText.bytes("eos_token"), .string(eosToken)),
            (TemplateText.bytes("tools"), .none),
            (TemplateText.bytes("documents"), .none),
        ]
        for variable in variables {
            let name = TemplateText.bytes(variable.name)
            let value: TemplateValue
            switch variable.value {
            case let .string(text): value = .string(text)
            case let .bool(flag): value = .bool(flag)
            case let .int(number): value = .int(number)
            case .none: value = .none
            }
            if let index = globals.firstIndex(where: { $0.name == name }) { globals[index].value = value } else { globals.append((name, value)) }
        }
        let renderer = TemplateRenderer(source: source, globals: globals)
        _ = try renderer.execute(nodes)
        return TemplateText.string(renderer.output)
    }
}
