// The module worker behind swiftlet.js: it owns the WebAssembly instance, the model and
// the generation, so arithmetic never runs on the page's thread. Requests arrive as
// {id, type, ...}; replies are {id, type: 'result' | 'error' | 'progress' | 'text'}.

import { SwiftletWasm } from './swiftlet-core.js';
import { ensureModel } from './model-cache.js';
import { benchmark } from './bench.js';

let wasm = null;
let model = null;
let generation = null;
/** The id of the generate request being answered, and whether it was cancelled. */
let running = null;

const handlers = {
  async load({ id, wasmUrl, modelUrl, sha256, contextSize }) {
    const started = performance.now();
    wasm ??= await SwiftletWasm.instantiate(await fetch(wasmUrl));
    const progress = (event) => postMessage({ id, type: 'progress', ...event });
    const { handle, record, downloaded } = await ensureModel(modelUrl, { sha256, onProgress: progress });
    const fetched = performance.now();
    generation?.free();
    model?.free();
    model = await loadFromFile(handle, record.size, progress);
    generation = model.createGeneration(contextSize);
    const loaded = performance.now();
    return {
      defaultOptions: wasm.defaultOptions,
      info: model.info,
      downloaded,
      modelBytes: record.size,
      downloadMs: fetched - started,
      loadMs: loaded - fetched,
    };
  },

  sizeInTokens({ text }) {
    return requireModel().tokenize(text).length;
  },

  async generate({ id, input, options }) {
    requireModel();
    running = { id, cancelled: false };
    const started = performance.now();
    const promptTokens = generation.start(input, options);
    const prefilled = performance.now();
    let firstTokenAt = null;
    for (;;) {
      if (running.cancelled) generation.cancel();
      const step = generation.next();
      if (!step.done && firstTokenAt === null) firstTokenAt = performance.now();
      if (step.text) postMessage({ id, type: 'text', text: step.text });
      if (step.done) break;
      await yieldToMessages(); // lets a 'cancel' in
    }
    const finished = performance.now();
    const stats = generation.stats();
    running = null;
    return {
      stats: {
        ...stats,
        promptTokens,
        prefillMs: prefilled - started,
        timeToFirstTokenMs: (firstTokenAt ?? finished) - started,
        prefillTokensPerSecond: promptTokens / ((prefilled - started) / 1000),
        decodeTokensPerSecond: stats.generatedTokens > 1 ? (stats.generatedTokens - 1) / ((finished - firstTokenAt) / 1000) : 0,
        heapBytes: wasm.heapBytesInUse,
      },
    };
  },

  bench({ id, options }) {
    return benchmark(requireModel(), { ...options, progress: (step) => postMessage({ id, type: 'progress', phase: step }) });
  },

  cancel() {
    if (running) running.cancelled = true;
    return null;
  },

  close() {
    generation?.free();
    model?.free();
    generation = model = null;
    return null;
  },
};

function requireModel() {
  if (!model) throw new Error('no model is loaded');
  return model;
}

/** Copies the OPFS file into module memory 16 MiB at a time, straight into place. */
async function loadFromFile(handle, size, progress) {
  const chunk = 16 << 20;
  const access = handle.createSyncAccessHandle ? await handle.createSyncAccessHandle() : null;
  try {
    return await wasm.loadModel(size, async (region) => {
      const file = access ? null : await handle.getFile();
      for (let offset = 0; offset < size; offset += chunk) {
        const length = Math.min(chunk, size - offset);
        if (access) access.read(region(offset, length), { at: offset });
        else region(offset, length).set(new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()));
        progress({ phase: 'load', loaded: offset + length, total: size });
      }
    });
  } finally {
    access?.close();
  }
}

/** Resolves after pending messages are handled (a MessageChannel hop, no timer clamping). */
const yieldChannel = new MessageChannel();
let resumeAfterYield = null;
yieldChannel.port1.onmessage = () => resumeAfterYield?.();
function yieldToMessages() {
  return new Promise((resolve) => {
    resumeAfterYield = resolve;
    yieldChannel.port2.postMessage(null);
  });
}

onmessage = async ({ data }) => {
  const handler = handlers[data.type];
  try {
    if (!handler) throw new Error(`unknown request '${data.type}'`);
    postMessage({ id: data.id, type: 'result', value: await handler(data) });
  } catch (error) {
    running = null;
    postMessage({ id: data.id, type: 'error', error: { name: error.name, message: error.message, code: error.code, kind: error.kind } });
  }
};
