import SwiftletCore

// The C ABI the JavaScript worker calls. Models and generations are integer handles;
// text goes in and out as (address, length) of UTF-8 in module memory. A call that fails
// returns 0 (handles, addresses) or -1 (counts) and leaves a code and a message for
// `swiftlet_error_code` and, in the message buffer, `swiftlet_message` / `swiftlet_message_length`.
// `swiftlet_abi` describes the codes and layouts these calls use (ABI.swift).

nonisolated(unsafe) var models = HandleTable<WasmModel>()
nonisolated(unsafe) var generations = HandleTable<WasmGeneration>()

// MARK: Description

/// Writes the ABI's description (JSON: version, codes, slot layouts, the core's sampling
/// defaults) into the message buffer and returns its length. JavaScript reads it first.
@_expose(wasm, "swiftlet_abi")
func swiftletABI() -> Int32 {
    lastErrorCode = .none
    message.set(abiDescriptionJSON)
    return Int32(message.count)
}

// MARK: Memory

/// `size` bytes of module memory, 16-aligned (0 when memory cannot grow that far).
@_expose(wasm, "swiftlet_alloc")
func swiftletAlloc(_ size: Int32) -> UnsafeMutableRawPointer? {
    guard size >= 0, let pointer = WasmHeap.allocate(Int(size)) else {
        return fail(.outOfMemory, "cannot allocate \(size) bytes of WebAssembly memory", returning: nil)
    }
    return pointer
}

@_expose(wasm, "swiftlet_free")
func swiftletFree(_ pointer: UnsafeMutableRawPointer?) {
    WasmHeap.release(pointer)
}

/// Bytes of the heap in use (blocks handed out, headers and rounding included).
@_expose(wasm, "swiftlet_heap_bytes_in_use")
func swiftletHeapBytesInUse() -> Double { Double(WasmHeap.bytesInUse) }

// MARK: Errors

@_expose(wasm, "swiftlet_error_code")
func swiftletErrorCode() -> Int32 { lastErrorCode.code }

@_expose(wasm, "swiftlet_message")
func swiftletMessage() -> UnsafeMutableRawPointer? { message.address }

@_expose(wasm, "swiftlet_message_length")
func swiftletMessageLength() -> Int32 { Int32(message.count) }

// MARK: Models

/// Parses the GGUF file at `bytes` (from `swiftlet_alloc`) and returns a model handle.
/// The module owns the bytes from then on, whether or not the model loads.
@_expose(wasm, "swiftlet_model_create")
func swiftletModelCreate(_ bytes: UnsafeMutableRawPointer?, _ count: Int32) -> Int32 {
    guard let bytes, count >= 0 else { return fail(.badArgument, "no model bytes", returning: 0) }
    let owner = ModelBytes(UnsafeRawBufferPointer(start: bytes, count: Int(count))) { region in
        WasmHeap.release(UnsafeMutableRawPointer(mutating: region.baseAddress))
    }
    do {
        return models.insert(try WasmModel(owner))
    } catch {
        return fail(.invalidModel, error.description, returning: 0)
    }
}

/// Releases the model (its bytes go once no generation uses them).
@_expose(wasm, "swiftlet_model_free")
func swiftletModelFree(_ model: Int32) -> Int32 {
    models.remove(model) ? 0 : fail(.badArgument, "no model \(model)", returning: -1)
}

/// Writes a JSON description of the model into the message buffer and returns its length.
@_expose(wasm, "swiftlet_model_info")
func swiftletModelInfo(_ model: Int32) -> Int32 {
    guard let model = models[model] else { return fail(.badArgument, "no model \(model)", returning: -1) }
    lastErrorCode = .none
    message.set(model.infoJSON)
    return Int32(message.count)
}

/// Token ids of the UTF-8 `text` into `output` (room for `capacity`); returns how many
/// there are (more than `capacity` means only the first `capacity` were written).
@_expose(wasm, "swiftlet_tokenize")
func swiftletTokenize(
    _ model: Int32, _ text: UnsafeRawPointer?, _ length: Int32, _ addSpecial: Int32,
    _ output: UnsafeMutablePointer<Int32>?, _ capacity: Int32
) -> Int32 {
    guard let model = models[model] else { return fail(.badArgument, "no model \(model)", returning: -1) }
    guard length >= 0, capacity >= 0, text != nil || length == 0 else {
        return fail(.badArgument, "bad text or output buffer", returning: -1)
    }
    let tokens = model.tokenizer.encode(UnsafeRawBufferPointer(start: text, count: Int(length)), addSpecial: addSpecial != 0)
    if let output {
        for (i, token) in tokens.prefix(Int(capacity)).enumerated() { output[i] = token }
    }
    return Int32(tokens.count)
}

// MARK: Generations

/// A generation context over `model` whose KV cache holds `contextSize` tokens.
@_expose(wasm, "swiftlet_generation_create")
func swiftletGenerationCreate(_ model: Int32, _ contextSize: Int32) -> Int32 {
    guard let model = models[model] else { return fail(.badArgument, "no model \(model)", returning: 0) }
    guard contextSize >= 2, Int(contextSize) <= model.transformer.config.trainedContextLength else {
        return fail(
            .badArgument,
            "context size \(contextSize) is outside 2...\(model.transformer.config.trainedContextLength)", returning: 0)
    }
    return generations.insert(WasmGeneration(model: model, contextSize: Int(contextSize)))
}

@_expose(wasm, "swiftlet_generation_free")
func swiftletGenerationFree(_ generation: Int32) -> Int32 {
    generations.remove(generation) ? 0 : fail(.badArgument, "no generation \(generation)", returning: -1)
}

/// Evaluates `count` token ids after what the generation holds, without sampling (for
/// benchmarks and scoring). Returns 0, or -1 when a token is outside the vocabulary or the
/// context is full.
@_expose(wasm, "swiftlet_evaluate")
func swiftletEvaluate(_ generation: Int32, _ tokens: UnsafePointer<Int32>?, _ count: Int32) -> Int32 {
    guard let generation = generations[generation] else {
        return fail(.badArgument, "no generation \(generation)", returning: -1)
    }
    guard count >= 0, tokens != nil || count == 0 else { return fail(.badArgument, "bad token buffer", returning: -1) }
    do {
        try generation.append(Array(UnsafeBufferPointer(start: tokens, count: Int(count))))
    } catch {
        return fail(.generation, error.description, returning: -1)
    }
    return 0
}

/// Empties the generation's context (its memory stays allocated).
@_expose(wasm, "swiftlet_reset")
func swiftletReset(_ generation: Int32) -> Int32 {
    guard let generation = generations[generation] else {
        return fail(.badArgument, "no generation \(generation)", returning: -1)
    }
    generation.forgetContext()
    return 0
}

/// Sets what the answers `swiftlet_start` begins from now on must be: `kind` is a
/// `GrammarKind` code and `bytes` its `length` bytes (GBNF text, a JSON Schema; none for
/// `none` and `jsonObject`). Such an answer ends, finish reason "endOfGeneration", when the
/// grammar admits nothing more. Returns 0; a grammar or schema that cannot be read fails
/// with `invalidGrammar` and a message naming the problem and where, and leaves the
/// generation without a grammar (and otherwise as it was).
@_expose(wasm, "swiftlet_set_grammar")
func swiftletSetGrammar(_ generation: Int32, _ kind: Int32, _ bytes: UnsafeRawPointer?, _ length: Int32) -> Int32 {
    guard let generation = generations[generation] else {
        return fail(.badArgument, "no generation \(generation)", returning: -1)
    }
    guard let kind = GrammarKind(code: kind), length >= 0, bytes != nil || length == 0 else {
        return fail(.badArgument, "bad grammar kind or text", returning: -1)
    }
    generation.grammar = nil
    do {
        generation.grammar = try kind.grammar(Array(UnsafeRawBufferPointer(start: bytes, count: Int(length))))
    } catch {
        return fail(.invalidGrammar, error.message, returning: -1)
    }
    return 0
}

/// Starts a new answer and evaluates the prompt: a raw prompt from an empty context, chat
/// messages after what the context holds when they go on from its last answer. `kind` is a
/// `PromptKind` code and `input` its `length` bytes; `sampling` holds `count` f64 values,
/// one per `SamplingField`. The answer follows the grammar of `swiftlet_set_grammar`, if
/// any. Returns the number of prompt tokens.
@_expose(wasm, "swiftlet_start")
func swiftletStart(
    _ generation: Int32, _ kind: Int32, _ input: UnsafeRawPointer?, _ length: Int32,
    _ sampling: UnsafePointer<Double>?, _ count: Int32
) -> Int32 {
    guard let generation = generations[generation] else {
        return fail(.badArgument, "no generation \(generation)", returning: -1)
    }
    guard let kind = PromptKind(code: kind), length >= 0, input != nil || length == 0 else {
        return fail(.badArgument, "bad prompt kind or text", returning: -1)
    }
    guard count >= 0, sampling != nil || count == 0 else { return fail(.badArgument, "bad sampling buffer", returning: -1) }
    var options: GenerationOptions
    do { options = try readGenerationOptions(UnsafeBufferPointer(start: sampling, count: Int(count))) } catch {
        return fail(.badArgument, error.message, returning: -1)
    }
    options.grammar = generation.grammar
    let bytes = UnsafeRawBufferPointer(start: input, count: Int(length))
    let model = generation.model
    let prompt: [Int32]
    switch kind {
    case .raw:
        prompt = model.tokenizer.encode(bytes, addSpecial: true)
    case .chat:
        guard let messages = decodeMessages(bytes) else {
            return fail(.badArgument, "malformed chat messages", returning: -1)
        }
        do {
            guard let tokens = try generation.chatPrompt(messages) else {
                return fail(.chatTemplate, model.chatTemplateError ?? "the model has no chat template", returning: -1)
            }
            prompt = tokens
        } catch {
            return fail(.chatTemplate, error.description, returning: -1)
        }
    }
    do {
        try generation.start(prompt, chat: kind == .chat, options: options)
    } catch {
        return fail(.generation, error.description, returning: -1)
    }
    return Int32(prompt.count)
}

/// One step: 1 when a token was sampled, 0 when the answer is finished (once), -1 on an
/// error. Either way the new text is at `swiftlet_chunk` for `swiftlet_chunk_length` bytes.
@_expose(wasm, "swiftlet_next")
func swiftletNext(_ generation: Int32) -> Int32 {
    guard let generation = generations[generation] else {
        return fail(.badArgument, "no generation \(generation)", returning: -1)
    }
    do {
        return try generation.next() ? 1 : 0
    } catch {
        return fail(.generation, error.description, returning: -1)
    }
}

@_expose(wasm, "swiftlet_chunk")
func swiftletChunk(_ generation: Int32) -> UnsafeMutableRawPointer? { generations[generation]?.chunk.address }

@_expose(wasm, "swiftlet_chunk_length")
func swiftletChunkLength(_ generation: Int32) -> Int32 { Int32(generations[generation]?.chunk.count ?? 0) }

/// The token of the last step that returned 1.
@_expose(wasm, "swiftlet_token")
func swiftletToken(_ generation: Int32) -> Int32 { generations[generation]?.lastToken ?? -1 }

/// Ends the answer at the next `swiftlet_next`, which reports finish reason "cancelled".
@_expose(wasm, "swiftlet_cancel")
func swiftletCancel(_ generation: Int32) -> Int32 {
    guard let generation = generations[generation] else {
        return fail(.badArgument, "no generation \(generation)", returning: -1)
    }
    generation.cancel()
    return 0
}

/// Writes one i32 per `StatsField` into `output`, in that order.
@_expose(wasm, "swiftlet_stats")
func swiftletStats(_ generation: Int32, _ output: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let generation = generations[generation], let output else {
        return fail(.badArgument, "no generation \(generation) or no output", returning: -1)
    }
    for (slot, field) in StatsField.allCases.enumerated() { output[slot] = generation.stat(field) }
    return 0
}

/// Chat messages from `swiftlet_start`'s length-prefixed encoding; nil when malformed.
func decodeMessages(_ bytes: UnsafeRawBufferPointer) -> [ChatMessage]? {
    var offset = 0
    func field() -> String? {
        guard bytes.count - offset >= 4 else { return nil }
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        offset += 4
        guard length <= bytes.count - offset else { return nil }
        defer { offset += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), as: UTF8.self)
    }
    var messages: [ChatMessage] = []
    while offset < bytes.count {
        guard let role = field(), let content = field() else { return nil }
        messages.append(ChatMessage(role: role, content: content))
    }
    return messages.isEmpty ? nil : messages
}
