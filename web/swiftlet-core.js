// Thin JavaScript over swiftlet.wasm's C ABI (Sources/SwiftletWasm/Exports.swift): handles
// become objects, errors become SwiftletError, text crosses as UTF-8. Runs wherever
// WebAssembly does (the worker uses it; so do the Node tests). No dependencies.
// The ABI's codes, layouts and the core's sampling defaults come from the module itself
// (`swiftlet_abi`, Sources/SwiftletWasm/ABI.swift); none is written down here.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// swiftlet-relaxed.wasm multiplies bytes with i32x4.relaxed_dot_i8x16_i7x16_add_s and
// accumulates with f32x4.relaxed_madd. Validating them is not enough: Node 20's V8 (relaxed
// SIMD behind a flag) doubles every dot product. This module uses both and returns lane 0
// of [-3, 5, -7, 100, 0…]·[2, 3, 4, 1, 0…], which is 81 where the dot product is right.
const v128 = (...bytes) => [0xfd, 0x0c, ...bytes, ...Array(16 - bytes.length).fill(0)];
const relaxedSimdProbe = (() => {
  const body = [
    0, ...v128(), ...v128(), ...v128(), 0xfd, 0x85, 0x02, 0x1a,  // f32x4.relaxed_madd, dropped
    ...v128(253, 5, 249, 100), ...v128(2, 3, 4, 1), ...v128(), 0xfd, 0x93, 0x02,  // the dot product
    0xfd, 0x1b, 0x00, 0x0b,  // i32x4.extract_lane 0, end
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    1, 5, 1, 0x60, 0, 1, 0x7f,  // type: () -> i32
    3, 2, 1, 0,  // function 0 of that type
    7, 5, 1, 1, 0x70, 0, 0,  // exported as "p"
    10, body.length + 2, 1, body.length, ...body,
  ]);
})();

/** Whether this engine runs relaxed SIMD, and runs its integer dot product exactly. */
export const hasExactRelaxedSimd = (() => {
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(relaxedSimdProbe)).exports.p() === 81;
  } catch {
    return false;
  }
})();

/** The module for this engine: swiftlet-relaxed.wasm where relaxed SIMD is exact, else swiftlet.wasm. */
export const defaultWasmFile = hasExactRelaxedSimd ? 'swiftlet-relaxed.wasm' : 'swiftlet.wasm';

/** The ABI version this file speaks; a module of another version is refused. */
export const abiVersion = 1;

export class SwiftletError extends Error {
  /** `code` as the module returns it; `kind` its name (`badArgument`, `invalidModel`, …). */
  constructor(message, { code, kind }) {
    super(message);
    this.name = 'SwiftletError';
    this.code = code;
    this.kind = kind;
  }
}

/** `{name: code}` turned around: code → name. */
const namesByCode = (codes) => Object.freeze(Object.fromEntries(Object.entries(codes).map(([name, code]) => [code, name])));

function deepFreeze(value) {
  if (value && typeof value === 'object') Object.values(value).forEach(deepFreeze);
  return Object.freeze(value);
}

export class SwiftletWasm {
  /** `source`: the module's bytes (ArrayBuffer, typed array) or a fetch Response. */
  static async instantiate(source) {
    const { instance } = source instanceof Response
      ? await WebAssembly.instantiateStreaming(source, {})
      : await WebAssembly.instantiate(source, {});
    return new SwiftletWasm(instance.exports);
  }

  constructor(exports) {
    this.exports = exports;
    /**
     * The module's description of its ABI: {abiVersion, errorCodes, finishReasons,
     * promptKinds, speculationModes, grammarKinds ({name: code} each), stats (swiftlet_stats'
     * slot names in order), sampling ([{name, default}]: swiftlet_start's f64 slots in order,
     * with the core's defaults), defaultContextSize}.
     */
    this.abi = this.#readDescription();
    /** The core's sampling defaults by option name: what an option left out gets. */
    const modes = this.abi.speculationModes;
    this.defaultOptions = Object.freeze(Object.fromEntries(this.abi.sampling.map((field) => [
      field.name,
      field.name === 'speculation' ? Object.keys(modes).find((name) => modes[name] === field.default) : field.default,
    ])));
    /** Names by code: of an error (SwiftletError's `kind`), of a finish reason. */
    this.errorKinds = namesByCode(this.abi.errorCodes);
    this.finishReasons = namesByCode(this.abi.finishReasons);
  }

  #readDescription() {
    if (typeof this.exports.swiftlet_abi !== 'function') {
      throw new Error(`this WebAssembly module has no swiftlet_abi export: it is not a Swiftlet module of ABI version ${abiVersion} (rebuild it with scripts/build-wasm)`);
    }
    this.exports.swiftlet_abi();
    let abi;
    try {
      abi = JSON.parse(this.message());
    } catch (error) {
      throw new Error(`the module's ABI description is not JSON: ${error.message}`);
    }
    if (abi?.abiVersion !== abiVersion) {
      throw new Error(`the module speaks Swiftlet ABI version ${abi?.abiVersion}, but this swiftlet-core.js speaks version ${abiVersion}: serve the .wasm and the .js files of one build`);
    }
    return deepFreeze(abi);
  }

  /** Bytes of module memory, viewed afresh (memory growth detaches old views). */
  bytes(address, length) {
    return new Uint8Array(this.exports.memory.buffer, address, length);
  }

  /** The last error (or message) the module recorded. */
  message() {
    const e = this.exports;
    return decoder.decode(this.bytes(e.swiftlet_message() >>> 0, e.swiftlet_message_length()));
  }

  error() {
    const code = this.exports.swiftlet_error_code();
    return new SwiftletError(this.message(), { code, kind: this.errorKinds[code] });
  }

  alloc(size) {
    const address = this.exports.swiftlet_alloc(size) >>> 0; // addresses past 2 GiB come back negative
    if (address === 0) throw this.error();
    return address;
  }

  /** Copies `data` (Uint8Array) into fresh module memory; returns its address. */
  copyIn(data) {
    const address = this.alloc(data.length);
    this.bytes(address, data.length).set(data);
    return address;
  }

  /**
   * Loads a GGUF model of `size` bytes that `fill(region)` writes into module memory, where
   * `region(offset, length)` is a Uint8Array view to fill in place: the file never has to
   * sit in one JavaScript buffer (no 2 GB ArrayBuffer limit, no extra copy).
   */
  async loadModel(size, fill) {
    const address = this.alloc(size);
    try {
      await fill((offset, length) => {
        if (offset < 0 || length < 0 || offset + length > size) throw new RangeError('region outside the model');
        return this.bytes(address + offset, length);
      });
    } catch (error) {
      this.exports.swiftlet_free(address);
      throw error;
    }
    // The module owns the bytes from here on, loaded or not.
    const handle = this.exports.swiftlet_model_create(address, size);
    if (handle === 0) throw this.error();
    return new Model(this, handle);
  }

  /** Loads a GGUF model from one buffer. */
  loadModelBytes(data) {
    return this.loadModel(data.length, (region) => region(0, data.length).set(data));
  }

  get heapBytesInUse() {
    return this.exports.swiftlet_heap_bytes_in_use();
  }
}

export class Model {
  constructor(wasm, handle) {
    this.wasm = wasm;
    this.handle = handle;
    const length = wasm.exports.swiftlet_model_info(handle);
    if (length < 0) throw wasm.error();
    this.info = JSON.parse(wasm.message());
  }

  /** Token ids of `text` (with BOS where the model adds one when `addSpecial`). */
  tokenize(text, { addSpecial = false } = {}) {
    const e = this.wasm.exports;
    const utf8 = encoder.encode(text);
    const input = this.wasm.copyIn(utf8);
    try {
      let capacity = utf8.length + 8;
      for (;;) {
        const output = this.wasm.alloc(capacity * 4);
        try {
          const count = e.swiftlet_tokenize(this.handle, input, utf8.length, addSpecial ? 1 : 0, output, capacity);
          if (count < 0) throw this.wasm.error();
          if (count <= capacity) return Int32Array.from(new Int32Array(e.memory.buffer, output, count));
          capacity = count;
        } finally {
          e.swiftlet_free(output);
        }
      }
    } finally {
      e.swiftlet_free(input);
    }
  }

  createGeneration(contextSize = this.wasm.abi.defaultContextSize) {
    const handle = this.wasm.exports.swiftlet_generation_create(this.handle, contextSize);
    if (handle === 0) throw this.wasm.error();
    return new Generation(this.wasm, handle);
  }

  free() {
    this.wasm.exports.swiftlet_model_free(this.handle);
    this.handle = 0;
  }
}

/** Chat messages as the module reads them: u32 length + UTF-8, role then content. */
export function encodeMessages(messages) {
  const parts = messages.flatMap((m) => [encoder.encode(m.role), encoder.encode(m.content)]);
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const part of parts) {
    view.setUint32(offset, part.length, true);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

/**
 * The options that say what the answer must be, besides the sampling options of
 * `wasm.defaultOptions`: `responseFormat` ('text' or null, {type: 'json_object'}, {type:
 * 'json_schema', schema} or OpenAI's {type: 'json_schema', json_schema: {schema}}) and
 * `grammar` (GBNF text whose start rule is `root`). At most one of them per answer.
 */
export const structureOptions = Object.freeze(['responseFormat', 'grammar']);

const responseFormatShape = "'text', {type: 'text'}, {type: 'json_object'} or {type: 'json_schema', schema: {…}}";

const describe = (value) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? `'${value}'` : typeof value);

/**
 * What `responseFormat` and `grammar` ask for, as a grammar kind's name and its text:
 * ['none', ''], ['jsonObject', ''], ['jsonSchema', schema as JSON] or ['gbnf', grammar].
 * A value of the wrong shape is a TypeError that says what it may be.
 */
export function grammarRequest({ responseFormat, grammar }) {
  if (grammar !== undefined) {
    if (responseFormat != null) {
      throw new TypeError('options responseFormat and grammar cannot be used together (a JSON schema is a grammar too: give one of them)');
    }
    if (typeof grammar !== 'string') throw new TypeError(`option grammar must be GBNF text (a string), not ${describe(grammar)}`);
    return ['gbnf', grammar];
  }
  if (responseFormat == null || responseFormat === 'text') return ['none', ''];
  if (typeof responseFormat !== 'object' || Array.isArray(responseFormat)) {
    throw new TypeError(`option responseFormat must be ${responseFormatShape}, not ${describe(responseFormat)}`);
  }
  switch (responseFormat.type) {
    case 'text': return ['none', ''];
    case 'json_object': return ['jsonObject', ''];
    case 'json_schema': {
      const nested = responseFormat.json_schema;
      if (nested !== undefined && (typeof nested !== 'object' || nested === null || Array.isArray(nested))) {
        throw new TypeError(`option responseFormat.json_schema must be an object ({name?, schema}), not ${describe(nested)}`);
      }
      if (nested !== undefined && responseFormat.schema !== undefined) {
        throw new TypeError('option responseFormat has both schema and json_schema.schema: give one');
      }
      const [schema, where] = nested !== undefined ? [nested.schema, 'responseFormat.json_schema.schema'] : [responseFormat.schema, 'responseFormat.schema'];
      if (schema === undefined) throw new TypeError(`option responseFormat of type 'json_schema' needs a schema (${where})`);
      if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
        throw new TypeError(`option ${where} must be a JSON Schema (an object or a boolean), not ${describe(schema)}`);
      }
      return ['jsonSchema', JSON.stringify(schema)];
    }
    default:
      throw new TypeError(`option responseFormat must be ${responseFormatShape}, not {type: ${describe(responseFormat.type)}}`);
  }
}

export class Generation {
  constructor(wasm, handle) {
    this.wasm = wasm;
    this.handle = handle;
  }

  /**
   * Starts an answer: `prompt` is a user message through the chat template, or raw text
   * with `raw: true`; `messages` is a whole chat. `options` are sampling settings by the
   * names of `wasm.defaultOptions` (maxTokens, temperature, topK, topP, minP,
   * repetitionPenalty, randomSeed, and speculation: 'auto', 'ngram' or 'off'), the defaults
   * for those left out, and what the answer must be (`structureOptions`: responseFormat or
   * grammar; free text without). Evaluates the prompt; returns its token count. A grammar
   * or schema that cannot be read is a SwiftletError of kind `invalidGrammar` naming the
   * problem; the generation stays usable.
   */
  start({ prompt, messages, raw = false }, options = {}) {
    const { abi, defaultOptions, exports: e } = this.wasm;
    for (const [name, value] of Object.entries(options)) {
      if (structureOptions.includes(name)) continue;
      if (!(name in defaultOptions)) {
        throw new TypeError(`unknown option '${name}' (the options are ${[...Object.keys(defaultOptions), ...structureOptions].join(', ')})`);
      }
      if (name === 'speculation') {
        if (value !== undefined && !(typeof value === 'string' && Object.hasOwn(abi.speculationModes, value))) {
          throw new TypeError(`option speculation must be one of ${Object.keys(abi.speculationModes).join(', ')}, not ${value}`);
        }
      } else if (value !== undefined && typeof value !== 'number') {
        throw new TypeError(`option ${name} must be a number, not ${typeof value}`);
      }
    }
    const [grammarKind, grammarText] = grammarRequest(options);
    // A module of this ABI version built before grammars has no grammarKinds: free text only.
    if (abi.grammarKinds) {
      this.#setGrammar(abi.grammarKinds[grammarKind], encoder.encode(grammarText));
    } else if (grammarKind !== 'none') {
      throw new Error('this WebAssembly module predates responseFormat and grammar (rebuild it with scripts/build-wasm)');
    }
    const settings = abi.sampling.map((field) => field.name === 'speculation'
      ? abi.speculationModes[options.speculation ?? defaultOptions.speculation]
      : options[field.name] ?? field.default);
    const chat = !raw;
    const input = chat ? encodeMessages(messages ?? [{ role: 'user', content: prompt }]) : encoder.encode(prompt);
    // One block: the f64 settings first (the allocation is 16-aligned), then the prompt.
    const settingsBytes = settings.length * 8;
    const address = this.wasm.alloc(settingsBytes + input.length);
    try {
      new Float64Array(e.memory.buffer, address, settings.length).set(settings);
      this.wasm.bytes(address + settingsBytes, input.length).set(input);
      const kind = chat ? abi.promptKinds.chat : abi.promptKinds.raw;
      const count = e.swiftlet_start(this.handle, kind, address + settingsBytes, input.length, address, settings.length);
      if (count < 0) throw this.wasm.error();
      return count;
    } finally {
      e.swiftlet_free(address);
    }
  }

  /** Sets the grammar of the answers started from now on (a `grammarKinds` code and its UTF-8 text). */
  #setGrammar(kind, text) {
    const e = this.wasm.exports;
    const address = text.length > 0 ? this.wasm.copyIn(text) : 0;
    try {
      if (e.swiftlet_set_grammar(this.handle, kind, address, text.length) < 0) throw this.wasm.error();
    } finally {
      if (address !== 0) e.swiftlet_free(address);
    }
  }

  /** One step: `{ done: false, token, text }` or, once, `{ done: true, text }` (the rest). */
  next() {
    const e = this.wasm.exports;
    const status = e.swiftlet_next(this.handle);
    if (status < 0) throw this.wasm.error();
    const text = decoder.decode(this.wasm.bytes(e.swiftlet_chunk(this.handle) >>> 0, e.swiftlet_chunk_length(this.handle)));
    return status === 1 ? { done: false, token: e.swiftlet_token(this.handle), text } : { done: true, text };
  }

  cancel() {
    this.wasm.exports.swiftlet_cancel(this.handle);
  }

  /** Runs token ids through the model after what the context holds, without sampling. */
  evaluate(tokens) {
    const e = this.wasm.exports;
    const address = this.wasm.alloc(tokens.length * 4);
    try {
      new Int32Array(e.memory.buffer, address, tokens.length).set(tokens);
      if (e.swiftlet_evaluate(this.handle, address, tokens.length) < 0) throw this.wasm.error();
    } finally {
      e.swiftlet_free(address);
    }
  }

  /** Empties the context. */
  reset() {
    this.wasm.exports.swiftlet_reset(this.handle);
  }

  /** The module's counters by their names in `wasm.abi.stats`; the finish reason by name. */
  stats() {
    const { abi, exports: e } = this.wasm;
    const address = this.wasm.alloc(abi.stats.length * 4);
    try {
      if (e.swiftlet_stats(this.handle, address) < 0) throw this.wasm.error();
      const values = new Int32Array(e.memory.buffer, address, abi.stats.length);
      const stats = Object.fromEntries(abi.stats.map((name, slot) => [name, values[slot]]));
      return { ...stats, finishReason: this.wasm.finishReasons[stats.finishReason] };
    } finally {
      e.swiftlet_free(address);
    }
  }

  free() {
    this.wasm.exports.swiftlet_generation_free(this.handle);
    this.handle = 0;
  }
}
