/// Turns a conversation into the prompt tokens a model was trained on: its own
/// `tokenizer.chat_template`, or a built-in template chosen from the architecture when
/// the file has none (Gemma 3 base, for example).
public struct ChatFormatter {
    public let template: ChatTemplate
    /// Whether the template came from the model file (rather than a built-in).
    public let isFromModel: Bool
    let tokenizer: Tokenizer
    let bosText: String
    let eosText: String

    public init(_ file: GGUFFile, tokenizer: Tokenizer) throws(ChatTemplateError) {
        self.tokenizer = tokenizer
        let vocabulary = tokenizer.vocabulary
        func text(_ token: Int32?) -> String {
            token.map { String(decoding: vocabulary.text(of: $0), as: UTF8.self) } ?? ""
        }
        bosText = text(vocabulary.bos)
        eosText = text(vocabulary.eos)
        if case let .string(source)? = file.metadata["tokenizer.chat_template"] {
            template = try ChatTemplate(source.string)
            isFromModel = true
            return
        }
        let architecture: String
        if case let .string(name)? = file.metadata["general.architecture"] { architecture = name.string } else { architecture = "" }
        guard let builtIn = ChatTemplate.builtIn(architecture: architecture, hasToken: { vocabulary.token(forText: Array($0.utf8)) != nil }) else {
            throw .runtime("the model has no chat template and none is built in for architecture '\(architecture)'", line: 0, column: 0)
        }
        template = builtIn
        isFromModel = false
    }

    /// The rendered prompt text, ending with the assistant's turn opening when asked.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws(ChatTemplateError) -> String {
        try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosText, eosToken: eosText)
    }

    /// Prompt tokens for `messages`: special-token text is parsed, and a BOS the template
    /// wrote is not doubled by the one the tokenizer adds (as llama.cpp does).
    public func tokens(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws(ChatTemplateError) -> [Int32] {
        var text = try render(messages, addGenerationPrompt: addGenerationPrompt)
        if tokenizer.vocabulary.addBOS, !bosText.isEmpty, text.utf8.starts(with: bosText.utf8) {
            text = String(decoding: text.utf8.dropFirst(bosText.utf8.count), as: UTF8.self)
        }
        return tokenizer.encode(text, addSpecial: true, parseSpecial: true)
    }
}
