"""wgsl/argmax_{blocks,final}.wgsl and wgsl/top_k_{blocks,final}.wgsl against numpy: random
logits with repeated maxima and ties, vocabulary sizes up to Gemma 3's. Exit status non-zero
on failure."""
import sys
import time

import numpy as np

import harness

NONE = 0xFFFFFFFF


def blocks_of(source, count):
    return -(-count // harness.constant(source, "BLOCK_VALUES"))


def gpu_argmax(logits, count, offset):
    first, final = harness.compose("argmax_blocks"), harness.compose("argmax_final")
    blocks = blocks_of(first, count)
    params = harness.words(count, offset)
    partials = np.zeros(2 * max(blocks, 1), np.uint32)
    result = np.zeros(2, np.uint32)
    out = harness.run_stages([(first, (max(blocks, 1), 1, 1), params, [0, 1]),
                              (final, (1, 1, 1), params, [1, 2])], (1, 0), [logits, partials, result])[2]
    return int(out[0]), out[1:2].view(np.float32)[0]


def gpu_top_k(logits, count, offset):
    first, final = harness.compose("top_k_blocks"), harness.compose("top_k_final")
    k = harness.constant(first, "K")
    blocks = blocks_of(first, count)
    params = harness.words(count, offset)
    partials = np.zeros(2 * k * max(blocks, 1), np.uint32)
    result = np.zeros(2 * k, np.uint32)
    out = harness.run_stages([(first, (max(blocks, 1), 1, 1), params, [0, 1]),
                              (final, (1, 1, 1), params, [1, 2])], (1, 0), [logits, partials, result])[2]
    return out[:k].copy(), out[k:].view(np.float32).copy(), k


def make(rng, count, kind):
    if kind == "normal":
        x = rng.standard_normal(count).astype(np.float32) * 4
    elif kind == "coarse":      # few distinct values: ties everywhere, also across the K boundary
        x = rng.integers(-20, 20, count).astype(np.float32) * 0.5
    else:                       # all negative, large magnitude
        x = -np.abs(rng.standard_normal(count).astype(np.float32)) * 1e4 - 1e3
    # The maximum repeated at random places (and at the very end).
    top = x.max() + 1.0
    spots = rng.choice(count, size=min(count, 5), replace=False)
    x[spots] = top
    x[-1] = top
    return x


def check(rng, count, kind, offset):
    logits = make(rng, count, kind)
    buffer = np.concatenate([rng.standard_normal(offset).astype(np.float32) + 1e6, logits,
                             np.full(3, 1e7, np.float32)])   # neighbours that must not be chosen
    problems = []
    index, value = gpu_argmax(buffer, count, offset)
    want = int(np.argmax(logits))
    if index != want or value != logits[want]:
        problems.append(f"argmax {index} ({value}), want {want} ({logits[want]})")
    indices, values, k = gpu_top_k(buffer, count, offset)
    order = np.lexsort((np.arange(count), -logits))[:k]
    want_i = np.full(k, NONE, np.uint32)
    want_i[:len(order)] = order
    if not np.array_equal(indices, want_i):
        bad = int(np.argmax(indices != want_i))
        problems.append(f"top-k index {bad}: {indices[bad]}, want {want_i[bad]}")
    elif not np.array_equal(values[:len(order)], logits[order]):
        problems.append("top-k values differ")
    return problems


CASES = [(49152, "normal", 0), (49152, "coarse", 0), (262144, "normal", 0), (262144, "coarse", 5),
         (262144, "negative", 0), (1000, "normal", 0), (1000, "coarse", 17), (151936, "normal", 3),
         (4097, "coarse", 0), (37, "normal", 0), (1, "normal", 0)]


def main():
    rng = np.random.default_rng(11)
    failures = 0
    began = time.time()
    for count, kind, offset in CASES:
        problems = check(rng, count, kind, offset)
        failures += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} count {count} {kind} offset {offset}" +
              ("".join(f"\n    {p}" for p in problems)))
    print(f"select: {len(CASES) - failures}/{len(CASES)} passed ({time.time() - began:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
