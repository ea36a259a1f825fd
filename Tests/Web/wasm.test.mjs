// The WebAssembly engine (web/swiftlet.wasm through web/swiftlet-core.js) in Node, on the
// real SmolLM2 and Gemma 3 models: greedy answers token-identical to the native engine's
// (Fixtures/*-greedy.json, from scripts/make-web-refs), also from the relaxed-SIMD module
// (web/swiftlet-relaxed.wasm), and hostile files rejected with errors, never traps.
// Run: node --test Tests/Web/ (after scripts/build-wasm).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { ErrorCode, SwiftletError, SwiftletWasm } from '../../web/swiftlet-core.js';

const root = new URL('../../', import.meta.url);
const modelPath = (name) => execFileSync(new URL('scripts/fetch-models', root).pathname, [name], { encoding: 'utf8' }).trim();
const readFixture = (name) => JSON.parse(readFileSync(new URL(`Tests/Web/Fixtures/${name}-greedy.json`, root)));
const modelBytes = new Uint8Array(readFileSync(modelPath('smollm2')));
const fixture = readFixture('smollm2');
const wasm = await SwiftletWasm.instantiate(readFileSync(new URL('web/swiftlet.wasm', root)));
const model = await wasm.loadModelBytes(modelBytes);

function answer(generation) {
  const tokens = [];
  let text = '';
  for (;;) {
    const step = generation.next();
    text += step.text;
    if (step.done) return { tokens, text };
    tokens.push(step.token);
  }
}

test('model info comes from the file', () => {
  assert.equal(model.info.architecture, 'llama');
  assert.equal(model.info.vocabularySize, 49152);
  assert.equal(model.info.layers, 30);
  assert.equal(model.info.fileBytes, modelBytes.length);
  assert.equal(model.info.hasChatTemplate, true);
});

function checkGreedy(model, reference) {
  const generation = model.createGeneration(2048);
  try {
    const promptTokens = generation.start({ prompt: reference.prompt, raw: !reference.chat },
      { temperature: 0, maxTokens: reference.maxTokens });
    assert.equal(promptTokens, reference.promptTokens.length);
    const { tokens, text } = answer(generation);
    assert.deepEqual(tokens, reference.generatedTokens);
    assert.equal(text, reference.text);
    assert.equal(generation.stats().finishReason, reference.finishReason);
  } finally {
    generation.free();
  }
}

for (const reference of fixture.references) {
  test(`SmolLM2: greedy "${reference.prompt}" gives the native engine's tokens`, () => checkGreedy(model, reference));
}

async function checkGemma(module) {
  const gemma = await module.loadModelBytes(new Uint8Array(readFileSync(modelPath('gemma3'))));
  try {
    assert.equal(gemma.info.architecture, 'gemma3');
    for (const reference of readFixture('gemma3').references) checkGreedy(gemma, reference);
  } finally {
    gemma.free();
  }
}

test('Gemma 3 (Q4_K, Q6_K, GELU, sliding window): greedy gives the native engine\'s tokens', () => checkGemma(wasm));

// The relaxed-SIMD module accumulates with f32x4.relaxed_madd, which V8 fuses on x86 with
// FMA as native code does, so its answers are the native ones too. (Node 20's V8 keeps
// relaxed SIMD behind a flag; browsers ship it.)
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const relaxed = await SwiftletWasm.instantiate(readFileSync(new URL('web/swiftlet-relaxed.wasm', root)));
test('relaxed SIMD module: SmolLM2 and Gemma 3 greedy answers are the native engine\'s', async () => {
  const relaxedModel = await relaxed.loadModelBytes(modelBytes);
  try {
    for (const reference of fixture.references) checkGreedy(relaxedModel, reference);
  } finally {
    relaxedModel.free();
  }
  await checkGemma(relaxed);
});

test('raw tokenization matches the native prompt tokens', () => {
  const raw = fixture.references.find((r) => !r.chat);
  assert.deepEqual(Array.from(model.tokenize(raw.prompt, { addSpecial: true })), raw.promptTokens);
});

test('chat messages render through the template like a single prompt', () => {
  const generation = model.createGeneration(512);
  try {
    const prime = fixture.references[0];
    generation.start({ messages: [{ role: 'user', content: prime.prompt }] }, { temperature: 0, maxTokens: 8 });
    assert.deepEqual(answer(generation).tokens, prime.generatedTokens.slice(0, 8));
  } finally {
    generation.free();
  }
});

test('a seed makes sampling reproducible', () => {
  const generation = model.createGeneration(512);
  const sample = (seed) => {
    generation.start({ prompt: 'Tell me a story.' }, { temperature: 1, topK: 40, topP: 0.95, randomSeed: seed, maxTokens: 24 });
    return answer(generation).tokens;
  };
  try {
    const first = sample(7);
    assert.deepEqual(sample(7), first);
    assert.notDeepEqual(sample(8), first);
  } finally {
    generation.free();
  }
});

test('cancel ends the answer at the next step', () => {
  const generation = model.createGeneration(512);
  try {
    generation.start({ prompt: 'Write a long essay about the sea.' }, { temperature: 0, maxTokens: 200 });
    for (let i = 0; i < 3; i++) assert.equal(generation.next().done, false);
    generation.cancel();
    assert.equal(generation.next().done, true);
    assert.equal(generation.stats().finishReason, 'cancelled');
    assert.equal(generation.stats().generatedTokens, 3);
  } finally {
    generation.free();
  }
});

test('evaluate runs token ids into the context; reset empties it', () => {
  const generation = model.createGeneration(64);
  try {
    generation.evaluate([1, 2, 3, 4]);
    assert.equal(generation.stats().tokensInContext, 4);
    assert.throws(() => generation.evaluate([49152]), /token id 49152 is outside the vocabulary/);
    generation.reset();
    assert.equal(generation.stats().tokensInContext, 0);
  } finally {
    generation.free();
  }
});

test('bad arguments are errors', () => {
  assert.throws(() => model.createGeneration(0), (e) => e instanceof SwiftletError && e.code === ErrorCode.badArgument);
  assert.throws(() => model.createGeneration(1 << 20), /context size/);
  const generation = model.createGeneration(64);
  try {
    assert.throws(() => generation.start({ prompt: 'word '.repeat(200), raw: true }, {}), /context/);
    const e = wasm.exports;
    const garbage = wasm.copyIn(new Uint8Array([9, 0, 0, 0, 65])); // a length past the end
    assert.equal(e.swiftlet_start(generation.handle, 1, garbage, 5, 8, 40, 0, 1, 0), -1);
    assert.match(wasm.message(), /malformed chat messages/);
    e.swiftlet_free(garbage);
  } finally {
    generation.free();
  }
  assert.equal(wasm.exports.swiftlet_next(12345), -1);
  assert.match(wasm.message(), /no generation 12345/);
});

/** A GGUF header: magic, version 3, tensor count, metadata count (little-endian). */
function header(tensors, metadata) {
  const out = new Uint8Array(24);
  const view = new DataView(out.buffer);
  out.set([0x47, 0x47, 0x55, 0x46]);
  view.setUint32(4, 3, true);
  view.setBigUint64(8, tensors, true);
  view.setBigUint64(16, metadata, true);
  return out;
}

/** The model with the u32 metadata value of `key` replaced. */
function withMetadata(key, value) {
  const copy = modelBytes.slice();
  const name = new TextEncoder().encode(key);
  const at = copy.findIndex((_, i) => name.every((byte, j) => copy[i + j] === byte) && copy[i - 8] === name.length);
  const view = new DataView(copy.buffer);
  assert.equal(view.getUint32(at + name.length, true), 4, `${key} is a u32`);
  view.setUint32(at + name.length + 4, value, true);
  return copy;
}

const hostile = {
  'empty file': new Uint8Array(0),
  'random bytes': Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24),
  'a header claiming 2^63 tensors': header(1n << 63n, 0n),
  'a header claiming 2^40 metadata entries': header(0n, 1n << 40n),
  'big-endian version': Uint8Array.from([0x47, 0x47, 0x55, 0x46, 0, 0, 0, 3, ...new Uint8Array(16)]),
  'the model cut after 1 KiB': modelBytes.subarray(0, 1024),
  'the model cut in its tensor directory': modelBytes.subarray(0, 1_900_000),
  'the model cut in half': modelBytes.subarray(0, modelBytes.length >> 1),
  'the model one byte short': modelBytes.subarray(0, modelBytes.length - 1),
  'block_count 100000': withMetadata('llama.block_count', 100000),
  'embedding_length 0': withMetadata('llama.embedding_length', 0),
  'head_count 0': withMetadata('llama.attention.head_count', 0),
  'head_count_kv 7 (not dividing the heads)': withMetadata('llama.attention.head_count_kv', 7),
};

for (const [name, bytes] of Object.entries(hostile)) {
  test(`hostile GGUF: ${name} is an error, not a trap`, async () => {
    const before = wasm.heapBytesInUse;
    await assert.rejects(wasm.loadModelBytes(bytes), (error) => {
      assert.ok(error instanceof SwiftletError, `${error}`);
      assert.equal(error.code, ErrorCode.invalidModel);
      assert.ok(error.message.length > 10, error.message);
      return true;
    });
    // The rejected bytes are freed; only the error message's buffer may have grown.
    assert.ok(wasm.heapBytesInUse - before < 4096, `${wasm.heapBytesInUse - before} bytes kept`);
  });
}

test('a model that claims a context of 0 loads, but no generation fits in it', async () => {
  const odd = await wasm.loadModelBytes(withMetadata('llama.context_length', 0));
  try {
    assert.throws(() => odd.createGeneration(16), /context size 16 is outside/);
  } finally {
    odd.free();
  }
});

test('the module still answers after every hostile file, and reuses freed memory', async () => {
  const pages = wasm.exports.memory.buffer.byteLength;
  const second = await wasm.loadModelBytes(modelBytes);
  second.free();
  const third = await wasm.loadModelBytes(modelBytes);
  assert.equal(wasm.exports.memory.buffer.byteLength, pages, 'no growth for a model the size of a freed one');
  const generation = third.createGeneration(256);
  generation.start({ prompt: fixture.references[0].prompt }, { temperature: 0, maxTokens: 4 });
  assert.deepEqual(answer(generation).tokens, fixture.references[0].generatedTokens.slice(0, 4));
  generation.free();
  third.free();
});

test('a model above 2 GiB of module memory loads and answers (addresses are unsigned)', async () => {
  // Fill memory below 2 GiB (the big filler, then any hole a model would fit in).
  const fillers = [wasm.alloc(0x7000_0000)];
  while (fillers.at(-1) < 2 ** 31) fillers.push(wasm.alloc(modelBytes.length));
  wasm.exports.swiftlet_free(fillers.pop());
  try {
    let address = 0;
    const high = await wasm.loadModel(modelBytes.length, (region) => {
      const view = region(0, modelBytes.length);
      address = view.byteOffset;
      view.set(modelBytes);
    });
    assert.ok(address > 2 ** 31, `model at ${address}`);
    const generation = high.createGeneration(256);
    try {
      generation.start({ prompt: fixture.references[0].prompt }, { temperature: 0, maxTokens: 4 });
      assert.deepEqual(answer(generation).tokens, fixture.references[0].generatedTokens.slice(0, 4));
    } finally {
      generation.free();
      high.free();
    }
  } finally {
    for (const filler of fillers) wasm.exports.swiftlet_free(filler);
  }
});
