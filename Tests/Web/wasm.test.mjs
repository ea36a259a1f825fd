// The WebAssembly engine (web/swiftlet.wasm through web/swiftlet-core.js) in Node, on the
// real SmolLM2 and Gemma 3 models: greedy answers token-identical to the native engine's
// (Fixtures/*-greedy.json, from scripts/make-web-refs), also from the relaxed-SIMD module
// (web/swiftlet-relaxed.wasm), the module's own ABI description (codes, layouts, the
// core's sampling defaults), and hostile files rejected with errors, never traps.
// Run: node --test Tests/Web/ (after scripts/build-wasm).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { abiVersion, defaultWasmFile, hasExactRelaxedSimd, SwiftletError, SwiftletWasm } from '../../web/swiftlet-core.js';

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

/** The answer to `reference`'s prompt (its maximum length) with `options`. */
function generate(model, reference, options) {
  const generation = model.createGeneration(2048);
  try {
    const promptTokens = generation.start({ prompt: reference.prompt, raw: !reference.chat },
      { maxTokens: reference.maxTokens, ...options });
    return { promptTokens, ...answer(generation), stats: generation.stats() };
  } finally {
    generation.free();
  }
}

function checkGreedy(model, reference) {
  const { promptTokens, tokens, text, stats } = generate(model, reference, { temperature: 0 });
  assert.equal(promptTokens, reference.promptTokens.length);
  assert.deepEqual(tokens, reference.generatedTokens);
  assert.equal(text, reference.text);
  assert.equal(stats.finishReason, reference.finishReason);
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
// FMA as native code does, and multiplies bytes with the relaxed integer dot product, exact
// for its operands; so its answers are the native ones too. It needs an engine whose relaxed
// SIMD is right: scripts/test runs these tests on Node 24 (Node 20's V8 doubles the dot product).
const relaxed = await SwiftletWasm.instantiate(readFileSync(new URL('web/swiftlet-relaxed.wasm', root)));
test('the engine runs relaxed SIMD exactly, so swiftlet-relaxed.wasm is the default', () => {
  assert.ok(hasExactRelaxedSimd, `Node ${process.version}: relaxed SIMD is missing or its dot product is wrong`);
  assert.equal(defaultWasmFile, 'swiftlet-relaxed.wasm');
});
test('relaxed SIMD module: SmolLM2 and Gemma 3 greedy answers are the native engine\'s', async () => {
  const relaxedModel = await relaxed.loadModelBytes(modelBytes);
  try {
    for (const reference of fixture.references) checkGreedy(relaxedModel, reference);
  } finally {
    relaxedModel.free();
  }
  await checkGemma(relaxed);
});

test('the module describes its ABI: version, codes, layouts and the sampling options', () => {
  assert.equal(wasm.abi.abiVersion, abiVersion);
  assert.equal(wasm.abi.errorCodes.none, 0);
  assert.deepEqual(Object.keys(wasm.abi.promptKinds), ['raw', 'chat']);
  assert.deepEqual(Object.keys(wasm.abi.finishReasons),
    ['none', 'endOfGeneration', 'maxTokens', 'stopString', 'contextFull', 'cancelled']);
  assert.deepEqual(wasm.abi.stats, ['promptTokens', 'generatedTokens', 'tokensInContext', 'contextSize', 'finishReason',
    'reusedTokens', 'draftedTokens', 'acceptedTokens']);
  assert.deepEqual(Object.keys(wasm.abi.speculationModes), ['off', 'ngram', 'auto']);
  // The native defaults (SamplingParameters.defaults in Sampler.swift and
  // GenerationOptions.defaultMaxTokens), which `swiftlet run` uses too.
  assert.deepEqual(wasm.defaultOptions, {
    maxTokens: 512, temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repetitionPenalty: 1, randomSeed: 0,
    speculation: 'auto',
  });
  // Session.defaultContextSize, what a generation created without a size holds.
  assert.equal(wasm.abi.defaultContextSize, 2048);
  const generation = model.createGeneration();
  try {
    assert.equal(generation.stats().contextSize, 2048);
  } finally {
    generation.free();
  }
});

test('no sampling options give the answer of the native defaults spelled out', () => {
  const question = { ...fixture.references[0], maxTokens: undefined }; // the default length too
  const native = { maxTokens: 512, temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repetitionPenalty: 1, randomSeed: 0 };
  const byDefault = generate(model, question, {});
  assert.deepEqual(generate(model, question, native).tokens, byDefault.tokens);
  assert.equal(byDefault.stats.finishReason, 'endOfGeneration');
  // The defaults are in effect: no min-p answers otherwise, and without min-p so does the
  // web API's old top-p of 1.
  const noMinP = generate(model, question, { minP: 0 }).tokens;
  assert.notDeepEqual(noMinP, byDefault.tokens);
  assert.notDeepEqual(generate(model, question, { minP: 0, topP: 1 }).tokens, noMinP);
});

test('min-p 1 keeps only the most likely token, so even a hot sampler answers greedily', () => {
  const prime = fixture.references[0];
  const hot = { temperature: 5, topK: 0, topP: 1, randomSeed: 3 };
  assert.deepEqual(generate(model, prime, { ...hot, minP: 1 }).tokens, prime.generatedTokens);
  assert.notDeepEqual(generate(model, prime, { ...hot, minP: 0 }).tokens.slice(0, 8), prime.generatedTokens.slice(0, 8));
});

test('a repetition penalty changes the greedy answer where it repeats a token, not before', () => {
  const france = fixture.references.find((r) => r.name === 'france');
  const greedy = france.generatedTokens;
  // The first token the greedy answer takes from its context (prompt and answer so far).
  const repeat = greedy.findIndex((token, i) => france.promptTokens.includes(token) || greedy.slice(0, i).includes(token));
  assert.ok(repeat > 0 && france.promptTokens.length + repeat <= 64, 'the whole context is in the penalty window');
  // A penalty only lowers tokens already seen, so earlier choices stand; this one is huge.
  const penalized = generate(model, france, { temperature: 0, repetitionPenalty: 1e9 }).tokens;
  assert.deepEqual(penalized.slice(0, repeat), greedy.slice(0, repeat));
  assert.notEqual(penalized[repeat], greedy[repeat]);
});

test('drafting from the context gives the greedy answer of plain decoding', () => {
  const copy = { prompt: 'Repeat this list exactly: apples, bananas, cherries, dates, elderberries, figs, grapes.', chat: true, maxTokens: 48 };
  const plain = generate(model, copy, { temperature: 0, speculation: 'off' });
  const drafted = generate(model, copy, { temperature: 0, speculation: 'ngram' });
  assert.deepEqual(drafted.tokens, plain.tokens);
  assert.equal(drafted.text, plain.text);
  assert.equal(plain.stats.draftedTokens, 0);
  assert.ok(drafted.stats.draftedTokens > 0 && drafted.stats.acceptedTokens <= drafted.stats.draftedTokens);
  assert.equal(drafted.stats.tokensInContext, plain.stats.tokensInContext);
});

test('stats decode by the names the module gives', () => {
  const prime = fixture.references[0];
  const { stats: { draftedTokens, acceptedTokens, ...stats } } = generate(model, prime, { temperature: 0 });
  assert.ok(acceptedTokens >= 0 && acceptedTokens <= draftedTokens);
  assert.deepEqual(stats, {
    promptTokens: prime.promptTokens.length,
    generatedTokens: prime.generatedTokens.length,
    tokensInContext: prime.promptTokens.length + prime.generatedTokens.length,
    contextSize: 2048,
    reusedTokens: 0,
    finishReason: prime.finishReason,
  });
});

/** Exports that answer swiftlet_abi with `description`, and nothing else. */
function moduleDescribedAs(description) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const bytes = new TextEncoder().encode(description);
  new Uint8Array(memory.buffer).set(bytes);
  return { memory, swiftlet_abi: () => bytes.length, swiftlet_message: () => 0, swiftlet_message_length: () => bytes.length };
}

test('a module of an unknown ABI version, or none, is refused with a clear error', () => {
  const newer = JSON.stringify({ ...wasm.abi, abiVersion: abiVersion + 1 });
  assert.throws(() => new SwiftletWasm(moduleDescribedAs(newer)),
    new RegExp(`speaks Swiftlet ABI version ${abiVersion + 1}, but this swiftlet-core.js speaks version ${abiVersion}`));
  assert.throws(() => new SwiftletWasm(moduleDescribedAs('{"errorCodes":{}}')), /ABI version undefined/);
  assert.throws(() => new SwiftletWasm(moduleDescribedAs('not json')), /ABI description is not JSON/);
  assert.throws(() => new SwiftletWasm({ memory: new WebAssembly.Memory({ initial: 1 }) }), /no swiftlet_abi export/);
});

test('sampling options out of range, misspelt or not numbers are errors that name them', () => {
  const generation = model.createGeneration(64);
  const start = (options) => () => generation.start({ prompt: 'Hi' }, options);
  try {
    const outOfRange = {
      temperature: [Number.NaN, -1, 1e39], topK: [2.5, -1], topP: [1.5, -0.1], minP: [2, Number.NaN],
      repetitionPenalty: [0, Infinity], maxTokens: [-1, 2 ** 31], randomSeed: [-1, 0.5, 2 ** 53],
    };
    for (const [name, values] of Object.entries(outOfRange)) {
      for (const value of values) {
        assert.throws(start({ [name]: value }), (e) => e instanceof SwiftletError && e.kind === 'badArgument'
          && e.code === wasm.abi.errorCodes.badArgument && e.message.startsWith(`${name} must be`), `${name}: ${value}`);
      }
    }
    assert.throws(start({ topk: 5 }), (e) => e instanceof TypeError && /unknown option 'topk'/.test(e.message));
    assert.throws(start({ temperature: '0.5' }), (e) => e instanceof TypeError && /temperature must be a number/.test(e.message));
    for (const speculation of ['fast', 2, 'toString']) {
      assert.throws(start({ speculation }), (e) => e instanceof TypeError && /speculation must be one of off, ngram, auto/.test(e.message));
    }
    const e = wasm.exports;
    const settings = wasm.copyIn(new Uint8Array(Float64Array.from(wasm.abi.sampling, (field) => field.default).buffer));
    const text = wasm.copyIn(new TextEncoder().encode('Hi'));
    assert.equal(e.swiftlet_start(generation.handle, wasm.abi.promptKinds.raw, text, 2, settings, 3), -1);
    assert.match(wasm.message(), new RegExp(`expected ${wasm.abi.sampling.length} sampling values, got 3`));
    assert.equal(e.swiftlet_start(generation.handle, 7, text, 2, settings, wasm.abi.sampling.length), -1);
    assert.match(wasm.message(), /bad prompt kind/);
    e.swiftlet_free(settings);
    e.swiftlet_free(text);
    // Seeds are whole numbers up to 2^53 - 1, as the native engine's (not cut to 32 bits).
    const sample = (randomSeed) => {
      generation.start({ prompt: 'Tell me a story.' }, { temperature: 1, maxTokens: 12, randomSeed });
      return answer(generation).tokens;
    };
    assert.notDeepEqual(sample(2 ** 40 + 7), sample(7));
    assert.deepEqual(sample(2 ** 53 - 1), sample(2 ** 53 - 1));
  } finally {
    generation.free();
  }
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

// A chat that goes on from the last answer: only the new turn is evaluated, and the answer is
// the one the whole chat gives from an empty context. Any other prompt in between (raw text,
// evaluate, reset) makes the next chat start over.
async function checkChatContinues(model, question, followUp) {
  const greedy = { temperature: 0, maxTokens: 12 };
  const first = [{ role: 'user', content: question }];
  const generation = model.createGeneration(1024), fresh = model.createGeneration(1024);
  try {
    const firstCount = generation.start({ messages: first }, greedy);
    const firstAnswer = answer(generation).text;
    assert.equal(generation.stats().reusedTokens, 0);
    const chat = [...first, { role: 'assistant', content: firstAnswer }, { role: 'user', content: followUp }];
    const held = generation.stats().tokensInContext;
    const newCount = generation.start({ messages: chat }, greedy);
    const continued = answer(generation);
    const wholeCount = fresh.start({ messages: chat }, greedy);
    const whole = answer(fresh);
    assert.equal(generation.stats().reusedTokens, held);
    assert.ok(held > firstCount && newCount < wholeCount - firstCount, `${newCount} new tokens after ${held}, ${wholeCount} in all`);
    // The answer's last token was sampled, not yet evaluated: it goes in with the new turn.
    assert.equal(held + 1 + newCount, wholeCount);
    assert.deepEqual(continued.tokens, whole.tokens);
    generation.start({ prompt: followUp, raw: true }, { ...greedy, maxTokens: 2 });
    answer(generation);
    assert.equal(generation.start({ messages: chat }, greedy), wholeCount);
    assert.equal(generation.stats().reusedTokens, 0);
  } finally {
    generation.free();
    fresh.free();
  }
}

test('a chat that goes on evaluates only its new turn, with the answer of the whole chat (SmolLM2)', () =>
  checkChatContinues(model, 'What is the capital of France?', 'And of Italy?'));

test('a chat that goes on evaluates only its new turn, with the answer of the whole chat (Gemma 3)', async () => {
  const gemma = await wasm.loadModelBytes(new Uint8Array(readFileSync(modelPath('gemma3'))));
  try {
    await checkChatContinues(gemma, 'Name a primary colour.', 'Name another one.');
  } finally {
    gemma.free();
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
  assert.throws(() => model.createGeneration(0), (e) => e instanceof SwiftletError && e.kind === 'badArgument');
  assert.throws(() => model.createGeneration(1 << 20), /context size/);
  const generation = model.createGeneration(64);
  try {
    assert.throws(() => generation.start({ prompt: 'word '.repeat(200), raw: true }, {}), /context/);
    const e = wasm.exports;
    const garbage = wasm.copyIn(new Uint8Array([9, 0, 0, 0, 65])); // a length past the end
    const settings = wasm.copyIn(new Uint8Array(Float64Array.from(wasm.abi.sampling, (field) => field.default).buffer));
    assert.equal(e.swiftlet_start(generation.handle, wasm.abi.promptKinds.chat, garbage, 5, settings, wasm.abi.sampling.length), -1);
    assert.match(wasm.message(), /malformed chat messages/);
    e.swiftlet_free(garbage);
    e.swiftlet_free(settings);
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
      assert.equal(error.kind, 'invalidModel');
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

// Structured output (issue 18): `responseFormat` and `grammar` go to swiftlet_set_grammar
// before swiftlet_start; the answer is a sentence of the grammar and ends where it does.
const person = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 24 }, age: { type: 'integer', minimum: 0, maximum: 150 }, student: { type: 'boolean' } },
  required: ['name', 'age', 'student'],
  additionalProperties: false,
};
const personPrompt = 'Describe Alice, a 30 year old student, as JSON with her name, age and whether she is a student.';

/** The greedy answer to the user message `prompt` with `options` (a fresh generation). */
function ask(model, prompt, options) {
  return generate(model, { prompt, chat: true, maxTokens: options.maxTokens ?? 96 }, { temperature: 0, ...options });
}

function checkPerson(text, stats) {
  const value = JSON.parse(text);
  assert.deepEqual(Object.keys(value).sort(), ['age', 'name', 'student'], text);
  assert.equal(typeof value.name, 'string');
  assert.ok(value.name.length <= 24, text);
  assert.ok(Number.isInteger(value.age) && value.age >= 0 && value.age <= 150, text);
  assert.equal(typeof value.student, 'boolean');
  assert.equal(stats.finishReason, 'endOfGeneration');
}

test('the module describes its grammar kinds', () => {
  assert.deepEqual(Object.keys(wasm.abi.grammarKinds), ['none', 'gbnf', 'jsonSchema', 'jsonObject']);
  assert.equal(wasm.abi.errorCodes.invalidGrammar, Object.keys(wasm.abi.errorCodes).length - 1);
});

test('a json_schema answer parses and has the schema\'s keys and types (SmolLM2)', () => {
  const { text, stats } = ask(model, personPrompt, { responseFormat: { type: 'json_schema', schema: person } });
  checkPerson(text, stats);
  // OpenAI's nesting says the same.
  const nested = ask(model, personPrompt, { responseFormat: { type: 'json_schema', json_schema: { name: 'person', schema: person, strict: true } } });
  assert.equal(nested.text, text);
});

test('a json_schema answer parses and has the schema\'s keys and types (Gemma 3)', async () => {
  const gemma = await wasm.loadModelBytes(new Uint8Array(readFileSync(modelPath('gemma3'))));
  try {
    const { text, stats } = ask(gemma, personPrompt, { responseFormat: { type: 'json_schema', schema: person } });
    checkPerson(text, stats);
  } finally {
    gemma.free();
  }
});

test('json_object answers a JSON object; text and no format answer freely', () => {
  const { text, stats } = ask(model, 'Return a JSON object with one key "colour" whose value is a colour name.',
    { responseFormat: { type: 'json_object' }, maxTokens: 64 });
  const value = JSON.parse(text);
  assert.ok(value && typeof value === 'object' && !Array.isArray(value), text);
  assert.equal(typeof value.colour, 'string', text);
  assert.equal(stats.finishReason, 'endOfGeneration');
  const reference = fixture.references[0];
  const free = ask(model, reference.prompt, { maxTokens: 8, responseFormat: 'text' }).tokens;
  assert.deepEqual(free, reference.generatedTokens.slice(0, 8));
});

test('a GBNF grammar root ::= "yes" | "no" answers exactly yes or no', () => {
  for (const prompt of ['Is the sky blue? Answer yes or no.', 'Is fire cold? Answer yes or no.']) {
    const { text, stats } = ask(model, prompt, { grammar: 'root ::= "yes" | "no"' });
    assert.ok(text === 'yes' || text === 'no', JSON.stringify(text));
    assert.equal(stats.finishReason, 'endOfGeneration');
  }
});

test('an invalid schema or grammar is an error that names the problem, and the generation still answers', () => {
  const generation = model.createGeneration(512);
  const start = (options) => () => generation.start({ prompt: 'Is the sky blue? Answer yes or no.' }, { temperature: 0, maxTokens: 8, ...options });
  const invalidGrammar = (pattern) => (e) => e instanceof SwiftletError && e.kind === 'invalidGrammar'
    && e.code === wasm.abi.errorCodes.invalidGrammar && pattern.test(e.message);
  try {
    const unsupported = { type: 'object', properties: { tags: { type: 'object', patternProperties: { '^x-': { type: 'string' } } } } };
    assert.throws(start({ responseFormat: { type: 'json_schema', schema: unsupported } }),
      invalidGrammar(/\/properties\/tags.*patternProperties|patternProperties.*\/properties\/tags/));
    assert.throws(start({ responseFormat: { type: 'json_schema', schema: { type: 'object', properties: { a: { type: 'strnig' } } } } }),
      invalidGrammar(/\/properties\/a.*strnig|strnig.*\/properties\/a/));
    assert.throws(start({ grammar: 'root ::= answer\nanswer ::= "yes" | [a-' }), invalidGrammar(/^grammar line 2, column \d+: /));
    assert.throws(start({ grammar: 'root ::= missing' }), invalidGrammar(/missing/));
    // Still usable: a grammar, then free text (the failed grammar is not left behind).
    generation.start({ prompt: 'Is the sky blue? Answer yes or no.' }, { temperature: 0, grammar: 'root ::= "yes" | "no"' });
    assert.match(answer(generation).text, /^(yes|no)$/);
    generation.start({ prompt: fixture.references[0].prompt }, { temperature: 0, maxTokens: 8 });
    assert.deepEqual(answer(generation).tokens, fixture.references[0].generatedTokens.slice(0, 8));
    // The wrong shapes are TypeErrors before the module sees them.
    const typeError = (pattern) => (e) => e instanceof TypeError && pattern.test(e.message);
    assert.throws(start({ grammar: 'root ::= "a"', responseFormat: { type: 'json_object' } }), typeError(/responseFormat and grammar cannot be used together/));
    assert.throws(start({ grammar: 42 }), typeError(/grammar must be GBNF text \(a string\), not number/));
    assert.throws(start({ responseFormat: 'json' }), typeError(/responseFormat must be 'text', .* not 'json'/));
    assert.throws(start({ responseFormat: { type: 'xml' } }), typeError(/responseFormat must be .* not \{type: 'xml'\}/));
    assert.throws(start({ responseFormat: { type: 'json_schema' } }), typeError(/needs a schema/));
    assert.throws(start({ responseFormat: { type: 'json_schema', schema: 'x' } }), typeError(/responseFormat.schema must be a JSON Schema/));
    assert.throws(start({ responseFormat: { type: 'json_schema', json_schema: { schema: [] } } }), typeError(/responseFormat.json_schema.schema must be a JSON Schema/));
    // Straight through the ABI: a kind out of range.
    assert.equal(wasm.exports.swiftlet_set_grammar(generation.handle, 9, 0, 0), -1);
    assert.match(wasm.message(), /bad grammar kind/);
  } finally {
    generation.free();
  }
});
