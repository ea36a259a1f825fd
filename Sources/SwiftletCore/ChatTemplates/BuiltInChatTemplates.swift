/// Chat formats for models whose GGUF carries no `tokenizer.chat_template`, written as
/// Jinja and run by the same interpreter, so they behave like any other template.
/// `scripts/make-chat-template-refs` reads the sources below (between `#"""` and `"""#`)
/// and renders them with Jinja2 too, so they are checked against the reference renderer.
public enum ChatTemplateFamily: Sendable {
    /// `<start_of_turn>user\n…<end_of_turn>\n`, assistant turns as `model`, a system prompt
    /// prepended to the first user turn, as Gemma 3's template does (text content only).
    case gemma
    /// `<|im_start|>role\n…<|im_end|>\n` (Qwen, SmolLM and many others), no default system prompt.
    case chatML
    /// `<|start_header_id|>role<|end_header_id|>\n\n…<|eot_id|>` (Llama 3 Instruct).
    case llama3
    /// `<|role|>\n…<|end|>\n` (Phi-3 and Phi-3.5 mini).
    case phi3
}

extension ChatTemplate {
    /// The built-in template of `family`. The sources are fixed and tested, so parsing
    /// cannot fail.
    public static func builtIn(_ family: ChatTemplateFamily) -> ChatTemplate {
        let source: String
        switch family {
        case .gemma: source = BuiltInSources.gemma
        case .chatML: source = BuiltInSources.chatML
        case .llama3: source = BuiltInSources.llama3
        case .phi3: source = BuiltInSources.phi3
        }
        do {
            return try ChatTemplate(source)
        } catch {
            fatalError("built-in chat template does not parse: \(error.description)")
        }
    }

    /// Picks a built-in template from GGUF's `general.architecture` (and the vocabulary,
    /// where one architecture name covers several formats), or nil if none fits.
    public static func builtIn(architecture: String, hasToken: (String) -> Bool) -> ChatTemplate? {
        family(architecture: architecture, hasToken: hasToken).map { builtIn($0) }
    }

    /// `gemma*` → Gemma turns; `llama` → Llama 3 if the vocabulary has
    /// `<|start_header_id|>`, else ChatML (SmolLM and other Llama-architecture models);
    /// `qwen*` → ChatML; `phi3` → Phi-3; any other model with `<|im_start|>` → ChatML.
    public static func family(architecture: String, hasToken: (String) -> Bool) -> ChatTemplateFamily? {
        let name = TemplateText.bytes(architecture)
        if TemplateText.hasPrefix(name, TemplateText.bytes("gemma")) { return .gemma }
        if TemplateText.hasPrefix(name, TemplateText.bytes("qwen")) { return .chatML }
        if "phi3" ~= name { return .phi3 }
        if "llama" ~= name { return hasToken("<|start_header_id|>") ? .llama3 : .chatML }
        return hasToken("<|im_start|>") ? .chatML : nil
    }
}

enum BuiltInSources {
    static let gemma = #"""
{{- bos_token -}}
{%- if messages and messages[0]['role'] == 'system' -%}
    {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = '' -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') -}}
    {%- endif -%}
    {%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}
    {{- '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') -}}
    {{- message['content'] | trim -}}
    {{- '<end_of_turn>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<start_of_turn>model\n' -}}
{%- endif -%}
"""#

    static let chatML = #"""
{%- for message in messages -%}
    {{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<|im_start|>assistant\n' -}}
{%- endif -%}
"""#

    static let llama3 = #"""
{{- bos_token -}}
{%- for message in messages -%}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
{%- endif -%}
"""#

    static let phi3 = #"""
{%- for message in messages -%}
    {%- if message['role'] == 'system' and message['content'] -%}
        {{- '<|system|>\n' + message['content'] + '<|end|>\n' -}}
    {%- elif message['role'] == 'user' -%}
        {{- '<|user|>\n' + message['content'] + '<|end|>\n' -}}
    {%- elif message['role'] == 'assistant' -%}
        {{- '<|assistant|>\n' + message['content'] + '<|end|>\n' -}}
    {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<|assistant|>\n' -}}
{%- else -%}
    {{- eos_token -}}
{%- endif -%}
"""#
}
