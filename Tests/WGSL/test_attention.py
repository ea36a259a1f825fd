"""wgsl/attention.wgsl against a numpy reference (float64): GQA, head sizes, windows,
soft-capping, ring-buffer caches. Exit status non-zero on failure."""
import sys
import time

import numpy as np

import harness

TOLERANCE = 1e-5


def reference(q, keys, values, heads, kv_heads, hd, capacity, window, scale, softcap, start, n):
    out = np.zeros((n, heads * hd))
    group = heads // kv_heads
    for t in range(n):
        pos = start + t
        first = max(0, pos - window + 1) if window else 0
        slots = np.arange(first, pos + 1) % capacity
        for h in range(heads):
            kvh = h // group
            k = keys[slots, kvh * hd:(kvh + 1) * hd].astype(np.float64)
            v = values[slots, kvh * hd:(kvh + 1) * hd].astype(np.float64)
            s = k @ q[t, h * hd:(h + 1) * hd].astype(np.float64) * scale
            if softcap:
                s = softcap * np.tanh(s / softcap)
            w = np.exp(s - s.max())
            out[t, h * hd:(h + 1) * hd] = (w / w.sum()) @ v
    return out


def case(rng, heads, kv_heads, hd, n, start, window=0, softcap=0.0, capacity=None, q_scale=1.0):
    if capacity is None:
        capacity = start + n if not window else window + n - 1
    positions = start + n
    width = kv_heads * hd
    keys = np.zeros((capacity, width), np.float32)
    values = np.zeros((capacity, width), np.float32)
    # Write positions in order, as the cache sees them: later ones overwrite earlier slots.
    all_k = rng.standard_normal((positions, width)).astype(np.float32)
    all_v = rng.standard_normal((positions, width)).astype(np.float32)
    for pos in range(max(0, positions - capacity), positions):
        keys[pos % capacity] = all_k[pos]
        values[pos % capacity] = all_v[pos]
    q = (rng.standard_normal((n, heads * hd)) * q_scale).astype(np.float32)
    scale = float(1.0 / np.sqrt(hd))
    source = harness.compose("attention")
    params = harness.words(heads, kv_heads, hd, capacity, window, scale, float(softcap))
    out = np.zeros((n, heads * hd), np.float32)
    result = harness.run(source, (heads, n, 1), (n, start), params, [q, keys, values, out])[3]
    want = reference(q, keys, values, heads, kv_heads, hd, capacity, window, scale, softcap, start, n)
    error = float(np.max(np.abs(result - want)) / np.max(np.abs(want)))
    return error


CASES = [
    dict(heads=8, kv_heads=2, hd=64, n=1, start=2999),
    dict(heads=8, kv_heads=2, hd=64, n=7, start=2500, softcap=5.0, q_scale=4.0),
    dict(heads=4, kv_heads=1, hd=256, n=1, start=3000, window=512, softcap=50.0),
    dict(heads=4, kv_heads=1, hd=256, n=7, start=2990, window=512),                     # ring wraps
    dict(heads=8, kv_heads=2, hd=256, n=7, start=1200, softcap=30.0, q_scale=3.0),
    dict(heads=4, kv_heads=1, hd=64, n=7, start=3001, window=128, softcap=5.0, q_scale=4.0),  # ring wraps
    dict(heads=4, kv_heads=1, hd=64, n=1, start=5000, window=1),                        # itself only
    dict(heads=8, kv_heads=2, hd=64, n=7, start=0, window=4),                           # window past 0
    dict(heads=8, kv_heads=2, hd=256, n=7, start=0),
    dict(heads=4, kv_heads=4, hd=128, n=7, start=300, window=200),
    dict(heads=8, kv_heads=2, hd=80, n=7, start=400, window=64, softcap=5.0, q_scale=4.0),
    dict(heads=4, kv_heads=2, hd=42, n=1, start=129),                                   # odd sizes
]


def main():
    rng = np.random.default_rng(7)
    failures = 0
    began = time.time()
    for c in CASES:
        error = case(rng, **c)
        ok = error <= TOLERANCE
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {c}: relative error {error:.2e}")
    print(f"attention: {len(CASES) - failures}/{len(CASES)} passed ({time.time() - began:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
