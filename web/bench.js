// The measurements of `swiftlet bench` (Sources/Swiftlet/Benchmark.swift), taken the same
// way on the WebAssembly engine so the two can be put side by side: time to first token of
// a chat question, prefill of N fixed tokens from an empty context, and decode of N tokens
// one at a time. Runs in a worker (web/bench.html) or in Node (scripts/bench-web).

const question = 'What is the capital of France?';

function sample(values) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(values.length - 1, 1));
  const median = values.slice().sort((a, b) => a - b)[values.length >> 1];
  return { median, mean, sd };
}

export function benchmark(model, { promptLengths = [128, 512], generate = 128, repetitions = 3, progress = () => {} } = {}) {
  const longest = Math.max(...promptLengths) + generate + 1;
  const generation = model.createGeneration(Math.max(longest, 256));
  const seconds = (body) => {
    const start = performance.now();
    body();
    return (performance.now() - start) / 1000;
  };
  try {
    progress('time to first token');
    const firstToken = [];
    for (let r = 0; r < repetitions; r++) {
      firstToken.push(seconds(() => {
        generation.start({ prompt: question }, { temperature: 0, maxTokens: 1 });
        generation.next();
      }));
    }
    // Arbitrary but fixed tokens, the same as the native benchmark's.
    const tokens = Array.from({ length: longest }, (_, i) => (i * 7919 + 13) % model.info.vocabularySize);
    const prefill = promptLengths.map((length) => {
      progress(`prefill ${length}`);
      const speeds = [];
      for (let r = 0; r < repetitions; r++) {
        generation.reset();
        speeds.push(length / seconds(() => generation.evaluate(tokens.slice(0, length))));
      }
      return { tokens: length, speed: sample(speeds) };
    });
    progress(`decode ${generate}`);
    const decode = [];
    for (let r = 0; r < repetitions; r++) {
      generation.reset();
      generation.evaluate([tokens[0]]);
      decode.push(generate / seconds(() => {
        for (let i = 1; i <= generate; i++) generation.evaluate([tokens[i]]);
      }));
    }
    return { timeToFirstToken: sample(firstToken), prefill, decodeTokens: generate, decode: sample(decode) };
  } finally {
    generation.free();
  }
}

/** The result as the lines `swiftlet bench` prints. */
export function formatBenchmark(result) {
  const f = ({ mean, sd }, digits = 1) => `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
  return [
    `time to first token: ${f({ mean: result.timeToFirstToken.mean * 1000, sd: result.timeToFirstToken.sd * 1000 }, 0)} ms`,
    ...result.prefill.map((p) => `prefill ${p.tokens}: ${f(p.speed)} tokens/s`),
    `decode ${result.decodeTokens}: ${f(result.decode)} tokens/s`,
  ].join('\n');
}
