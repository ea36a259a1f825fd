// Swiftlet in the browser: a small LLM (GGUF) running in a module worker, cached in the
// Origin Private File System. Shaped like MediaPipe's LlmInference:
//
//   import { LlmInference } from './swiftlet.js';
//   const llm = await LlmInference.createFromOptions({ modelAssetPath: 'model.gguf' });
//   const answer = await llm.generateResponse('Why is the sky blue?', (partial, done) => …);
//
// No bundler, no dependencies: the worker and the wasm are found next to this file.

import { cacheKey, deleteModel, listModels, storageUsage } from './model-cache.js';
import { defaultWasmFile, grammarRequest, structureOptions } from './swiftlet-core.js';

const here = new URL('.', import.meta.url);

export { defaultWasmFile };

export class LlmInference {
  /**
   * Downloads (or finds in OPFS) the model and loads it in a worker. Options:
   * modelAssetPath (URL), sha256 (hex, verified before the model is marked cached),
   * contextSize, onProgress({phase, loaded, total}) with phase 'download' | 'verify' |
   * 'load' (and 'retry' with `attempt` when a dropped download resumes), wasmUrl /
   * workerUrl to serve those from elsewhere (by default the worker is next to this file,
   * and the wasm is swiftlet-relaxed.wasm where the engine has relaxed SIMD, else
   * swiftlet.wasm), any sampling option of `defaultOptions` (maxTokens, temperature,
   * topK, topP, minP, repetitionPenalty, randomSeed, speculation), and what answers must be:
   * responseFormat ({type: 'json_object'}, {type: 'json_schema', schema}) or grammar (GBNF).
   */
  static async createFromOptions(options) {
    const llm = new LlmInference(options);
    try {
      const { defaultOptions, ...loadStats } = await llm.#request('load', {
        wasmUrl: new URL(options.wasmUrl ?? defaultWasmFile, here).href,
        modelUrl: new URL(options.modelAssetPath, globalThis.location?.href).href,
        sha256: options.sha256,
        contextSize: options.contextSize,  // undefined: the module's default
      }, (message) => options.onProgress?.(message));
      llm.defaultOptions = Object.freeze(defaultOptions);
      llm.loadStats = loadStats;
      llm.setOptions(Object.fromEntries([...Object.keys(defaultOptions), ...structureOptions].map((name) => [name, options[name]])));
    } catch (error) {
      llm.close();
      throw error;
    }
    return llm;
  }

  #worker;
  #nextId = 1;
  #pending = new Map(); // id → {resolve, reject, onMessage}
  #options = {}; // the sampling (and structure) options set; the module's defaults fill in the rest
  #busy = false; // a generation is in progress

  constructor(options) {
    this.#worker = new Worker(new URL(options.workerUrl ?? 'swiftlet-worker.js', here), { type: 'module' });
    this.#worker.onmessage = ({ data }) => this.#receive(data);
    this.#worker.onerror = (event) => this.#failAll(new Error(event.message || 'the Swiftlet worker failed'));
    /**
     * The sampling options and what each is when not given: the core's defaults, read
     * from the module ({maxTokens, temperature, topK, topP, minP, repetitionPenalty, randomSeed}).
     */
    this.defaultOptions = null;
    /** {info, downloaded, modelBytes, downloadMs, loadMs} from loading. */
    this.loadStats = null;
    /** Stats of the last answer: tokens, prefill, time to first token, tokens/s. */
    this.lastStats = null;
  }

  /**
   * Changes sampling options (names as in `defaultOptions`) and what answers must be
   * (responseFormat or grammar) for later calls.
   */
  setOptions(options) {
    this.#options = this.#withOptions(this.#options, options);
  }

  /**
   * `base` with `options` over it. An unknown name, or a responseFormat or grammar of the
   * wrong shape, is an error rather than silently ignored; a responseFormat or grammar
   * given replaces the one in `base` (so `responseFormat: 'text'` asks for free text again).
   */
  #withOptions(base, options) {
    const unknown = Object.keys(options).filter((name) => !(name in this.defaultOptions) && !structureOptions.includes(name));
    if (unknown.length > 0) {
      throw new TypeError(`unknown option ${unknown.map((name) => `'${name}'`).join(', ')} (the options are ${[...Object.keys(this.defaultOptions), ...structureOptions].join(', ')})`);
    }
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    grammarRequest(given); // its TypeErrors here, where the options are given
    const merged = { ...base };
    if (structureOptions.some((name) => name in given)) for (const name of structureOptions) delete merged[name];
    return { ...merged, ...given };
  }

  /**
   * The whole answer to `prompt` (a user message, through the model's chat template) or to
   * `messages` ([{role, content}]). `progressListener(partial, done)` gets each new piece.
   * Options: raw (continue the text, no template), signal (AbortSignal), sampling
   * overrides, and responseFormat or grammar (what the answer must be: JSON of a schema, a
   * sentence of a GBNF grammar).
   */
  generateResponse(prompt, progressListener, options = {}) {
    return wholeAnswer(this.generateResponseStream(prompt, options), progressListener);
  }

  /** The answer as an async iterator of text pieces (whole characters). */
  async *generateResponseStream(prompt, { signal, raw = false, ...sampling } = {}) {
    signal?.throwIfAborted();
    if (this.#busy) throw new Error('a response is already being generated');
    const options = this.#withOptions(this.#options, sampling);
    this.#busy = true;
    const input = Array.isArray(prompt) ? { messages: prompt } : { prompt, raw };
    const pieces = [];
    let outcome = null; // {result} or {error} once the worker has answered
    let wake = () => {};
    const done = this.#request('generate', { input, options }, (message) => {
      pieces.push(message.text);
      wake();
    });
    done.then((result) => (outcome = { result }), (error) => (outcome = { error })).finally(() => wake());
    const onAbort = () => this.cancelProcessing();
    signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        signal?.throwIfAborted();
        if (pieces.length > 0) {
          yield pieces.shift();
        } else if (outcome) {
          if (outcome.error) throw outcome.error;
          return;
        } else {
          await new Promise((resolve) => (wake = resolve));
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!outcome) this.cancelProcessing(); // stopped early: by the signal, or by the caller
      const result = await done.catch(() => null);
      if (result) this.lastStats = result.stats;
      this.#busy = false;
    }
  }

  /**
   * A chat that keeps its turns: `session.generateResponse(text, progressListener, options)`
   * adds the user's message and the answer to `session.messages`. The worker's context still
   * holds the earlier turns, so each turn evaluates only its own tokens (as any `messages`
   * prompt that goes on from the last answer does; another prompt in between starts over).
   */
  createSession({ system } = {}) {
    return new ChatSession(this, system);
  }

  /** How many tokens `text` is (without the tokens a prompt starts with). */
  sizeInTokens(text) {
    return this.#request('sizeInTokens', { text });
  }

  /**
   * Measures this model the way `swiftlet bench` does natively: {timeToFirstToken, prefill:
   * [{tokens, speed}], decode} in seconds and tokens/s ({median, mean, sd} each). Options:
   * promptLengths, generate, repetitions, onProgress(step).
   */
  benchmark({ onProgress, ...options } = {}) {
    return this.#request('bench', { options }, (message) => onProgress?.(message.phase));
  }

  /** Stops the answer being generated; it ends with the text so far. */
  cancelProcessing() {
    if (this.#busy) this.#worker.postMessage({ id: 0, type: 'cancel' });
  }

  close() {
    this.#worker.terminate();
    this.#failAll(new Error('the model was closed'));
  }

  #request(type, body, onMessage) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onMessage });
      this.#worker.postMessage({ id, type, ...body });
    });
  }

  #receive(message) {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    if (message.type === 'result' || message.type === 'error') {
      this.#pending.delete(message.id);
      if (message.type === 'result') pending.resolve(message.value);
      else pending.reject(Object.assign(new Error(message.error.message), message.error));
    } else {
      pending.onMessage?.(message);
    }
  }

  #failAll(error) {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}

/** The models in this origin's cache (OPFS), and ways to manage them. */
/** The text of a stream of answer pieces, each also given to `progressListener(piece, done)`. */
async function wholeAnswer(pieces, progressListener) {
  let text = '';
  for await (const piece of pieces) {
    text += piece;
    progressListener?.(piece, false);
  }
  progressListener?.('', true);
  return text;
}

/** A multi-turn chat over an LlmInference (see `createSession`). */
export class ChatSession {
  #llm;

  constructor(llm, system) {
    this.#llm = llm;
    /** The chat so far: [{role, content}]. */
    this.messages = system ? [{ role: 'system', content: system }] : [];
  }

  generateResponse(text, progressListener, options = {}) {
    return wholeAnswer(this.generateResponseStream(text, options), progressListener);
  }

  /** The answer to the user's `text` as text pieces; the turn is kept once it ends. */
  async *generateResponseStream(text, options = {}) {
    const messages = [...this.messages, { role: 'user', content: text }];
    let answer = '';
    for await (const piece of this.#llm.generateResponseStream(messages, options)) {
      answer += piece;
      yield piece;
    }
    this.messages = [...messages, { role: 'assistant', content: answer }];
  }
}

export const ModelCache = {
  /** [{key, url, size, sha256, completedAt}] for every completely downloaded model. */
  list: listModels,
  /** Removes a model, complete or partial, by its URL. */
  delete: deleteModel,
  /** {usage, quota} in bytes for this origin. */
  usage: storageUsage,
  key: cacheKey,
};
