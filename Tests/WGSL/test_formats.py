"""The format kernels (embed, matvec, matmul) for every weight format, against gguf's numpy
dequantization. Run: XDG_RUNTIME_DIR=/tmp ~/.cache/swiftlet/gpu-venv/bin/python Tests/WGSL/test_formats.py
Exits non-zero on any failure; prints one line per check that fails and a summary line."""
import sys
import time

import numpy as np
from gguf import GGMLQuantizationType as T, GGML_QUANT_SIZES
from gguf.quants import dequantize

import harness

FORMATS = {
    "f32": T.F32, "f16": T.F16, "bf16": T.BF16,
    "q4_0": T.Q4_0, "q4_1": T.Q4_1, "q5_0": T.Q5_0, "q5_1": T.Q5_1, "q8_0": T.Q8_0,
    "q4_k": T.Q4_K, "q5_k": T.Q5_K, "q6_k": T.Q6_K,
}
# Byte offsets of the half scale fields in a block (set to small finite values).
HALVES = {"q4_0": [0], "q4_1": [0, 2], "q5_0": [0], "q5_1": [0, 2], "q8_0": [0],
          "q4_k": [0, 2], "q5_k": [0, 2], "q6_k": [208]}

rng = np.random.default_rng(1234)
failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL", what, flush=True)


def weights(fmt, rows, columns):
    """Random valid row-major tensor bytes, (rows, row_bytes) uint8."""
    qtype = FORMATS[fmt]
    if fmt == "f32":
        return (rng.standard_normal((rows, columns)).astype(np.float32)).view(np.uint8)
    if fmt == "f16":
        return (rng.standard_normal((rows, columns)) * 0.5).astype(np.float16).view(np.uint8)
    if fmt == "bf16":
        f = rng.standard_normal((rows, columns)).astype(np.float32)
        return (f.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
    block_values, block_bytes = GGML_QUANT_SIZES[qtype]
    blocks = rows * columns // block_values
    raw = rng.integers(0, 256, (blocks, block_bytes), dtype=np.uint8)
    for at in HALVES[fmt]:
        h = (rng.uniform(0.01, 0.1, blocks) * rng.choice([-1, 1], blocks)).astype(np.float16)
        raw[:, at:at + 2] = h.view(np.uint8).reshape(blocks, 2)
    return raw.reshape(rows, -1)


def reference(fmt, w):
    return dequantize(w, FORMATS[fmt]).reshape(w.shape[0], -1).astype(np.float32)


def source(kernel, fmt):
    return harness.compose(kernel, fmt)


def embed(fmt, w, columns, token_ids, first_row, row_count, scale):
    src = source("embed", fmt)
    n = len(token_ids)
    out = np.full(n * columns, -7.0, np.float32)
    params = harness.words(columns, w.shape[1], first_row, row_count, scale)
    dispatch = (-(-columns // (8 * harness.constant(src, "WORKGROUP_SIZE"))), n, 1)
    _, _, out = harness.run(src, dispatch, [n, 0], params, [w, np.array(token_ids, np.uint32), out])
    return out.reshape(n, columns)


def test_embed(fmt, columns):
    rows = 7
    w = weights(fmt, rows, columns)
    ref = reference(fmt, w)
    tokens = [3, 0, 6, 99, 2, 3]
    for scale in (1.0, 1.7):
        got = embed(fmt, w, columns, tokens, 0, rows, scale)
        for t, tok in enumerate(tokens):
            if tok < rows:
                want = (ref[tok] * np.float32(scale)).astype(np.float32)
                check(np.array_equal(got[t].view(np.uint32), want.view(np.uint32)),
                      f"{fmt} embed scale {scale} token {tok}: max diff {np.abs(got[t] - want).max()}")
            else:
                check(np.all(got[t] == -7.0), f"{fmt} embed: out-of-range token {tok} written")
    # A chunk of rows 2..<5 only, as its own buffer.
    got = embed(fmt, np.ascontiguousarray(w[2:5]), columns, tokens, 2, 3, 1.0)
    for t, tok in enumerate(tokens):
        if 2 <= tok < 5:
            check(np.array_equal(got[t].view(np.uint32), ref[tok].view(np.uint32)), f"{fmt} embed chunk token {tok}")
        else:
            check(np.all(got[t] == -7.0), f"{fmt} embed chunk: token {tok} outside the chunk written")


def product(kernel, fmt, w, rows, columns, n, x_offset, out_offset, out_stride, dispatch_tokens=None):
    src = source(kernel, fmt)
    per = harness.constant(src, "ROWS_PER_WORKGROUP")
    x = rng.standard_normal(x_offset + n * columns + 3).astype(np.float32)
    y = np.full(out_offset + n * out_stride + 2, -7.0, np.float32)
    gx, gy = harness.groups(rows, per)
    if kernel == "matvec":
        z = n
    else:
        z = -(-n // harness.constant(src, "TOKENS_PER_WORKGROUP"))
    params = harness.words(rows, columns, w.shape[1], x_offset, out_offset, out_stride, 0, 0)
    _, _, y = harness.run(src, (gx, gy, z), [n, 0], params, [w, x, y])
    return x, y


def test_split(kernel, fmt, parts, columns, n):
    """Stacked matrices of `parts` rows each through outputs/split.wgsl: each output holds
    exactly (bit for bit) what the one-output product gives for its rows, and nothing more."""
    w = weights(fmt, sum(parts), columns)
    src = harness.compose(kernel, fmt, "split")
    rows = sum(parts)
    x, whole = product(kernel, fmt, w, rows, columns, n, 0, 0, rows)
    want = whole[:n * rows].reshape(n, rows)
    outputs = [np.full(n * k + 2, -7.0, np.float32) for k in parts]
    bound = outputs + [outputs[1]] * (3 - len(parts))   # two matrices: y2 is y1's buffer, unwritten
    edges = np.cumsum(parts)
    split_b = int(edges[1]) if len(parts) == 3 else rows
    gx, gy = harness.groups(rows, harness.constant(src, "ROWS_PER_WORKGROUP"))
    z = n if kernel == "matvec" else -(-n // harness.constant(src, "TOKENS_PER_WORKGROUP"))
    params = harness.words(rows, columns, w.shape[1], 0, 0, 0, int(edges[0]), split_b)
    results = harness.run(src, (gx, gy, z), [n, 0], params, [w, x] + bound[:3])[2:2 + len(parts)]
    first = 0
    for i, (k, got) in enumerate(zip(parts, results)):
        expected = np.full(n * k + 2, -7.0, np.float32)
        expected[:n * k] = want[:, first:first + k].reshape(-1)
        check(np.array_equal(got.view(np.uint32), expected.view(np.uint32)),
              f"{fmt} {kernel} split {parts} n={n}: output {i} differs from the one-output product")
        first += k


def test_product(kernel, fmt, rows, columns, n, x_offset=5, out_offset=11, extra_stride=9, w=None):
    if w is None:
        w = weights(fmt, rows, columns)
    ref = reference(fmt, w).astype(np.float64)
    out_stride = rows + extra_stride
    x, y = product(kernel, fmt, w, rows, columns, n, x_offset, out_offset, out_stride)
    xs = x[x_offset:x_offset + n * columns].reshape(n, columns).astype(np.float64)
    want = xs @ ref.T                              # [n, rows]
    bound = np.abs(xs) @ np.abs(ref).T * 1e-4 + 1e-30
    expected = np.full_like(y, -7.0)
    got = np.empty((n, rows), np.float64)
    for t in range(n):
        s = out_offset + t * out_stride
        got[t] = y[s:s + rows]
        expected[s:s + rows] = y[s:s + rows]
    err = np.abs(got - want) / bound
    what = f"{fmt} {kernel} {rows}x{columns} n={n}"
    check(bool(np.all(np.isfinite(got))) and err.max() <= 1.0, f"{what}: worst error {err.max():.3g} of tolerance")
    check(np.array_equal(y, expected), f"{what}: wrote outside its outputs")


def main():
    start = time.perf_counter()
    for fmt, qtype in FORMATS.items():
        block_values = GGML_QUANT_SIZES[qtype][0]
        if block_values == 1:
            shapes = [43, 64]      # a ragged last group (and rows at offsets ≡ 2 mod 4), and whole groups
        elif block_values == 32:
            shapes = [160]
        else:
            shapes = [512]
        for columns in shapes:
            test_embed(fmt, columns)
            test_product("matvec", fmt, 37, columns, 3)
            test_product("matvec", fmt, 5, columns, 1, x_offset=0, out_offset=0, extra_stride=0)
            for n in (1, 3, 17, 40):
                test_product("matmul", fmt, 70, columns, n)
        # Stacked q, k, v (rows not multiples of a workgroup's) and gate, up.
        columns = shapes[0]
        for kernel, n in (("matvec", 1), ("matvec", 2), ("matmul", 5), ("matmul", 33)):
            test_split(kernel, fmt, [37, 13, 13], columns, n)
            test_split(kernel, fmt, [70, 66], columns, n)
        # Longer rows, several chunks and workgroup strides.
        big = 2304 if block_values != 1 else 1000
        test_product("matvec", fmt, 9, big, 2)
        test_product("matmul", fmt, 9, big, 33)
        print(f"{fmt}: done ({time.perf_counter() - start:.1f} s)", flush=True)

    # More workgroups than one dispatch dimension holds: the 2-D split.
    for kernel, fmt in (("matvec", "f32"), ("matmul", "f16")):
        per = harness.constant(source(kernel, fmt), "ROWS_PER_WORKGROUP")
        rows = 65535 * per + 5
        w = weights(fmt, rows, 8)
        test_product(kernel, fmt, rows, 8, 2, extra_stride=3, w=w)
        print(f"{kernel} {fmt} {rows} rows: done ({time.perf_counter() - start:.1f} s)", flush=True)

    status = "FAILED" if failures else "passed"
    print(f"test_formats: {checks - len(failures)}/{checks} checks passed, {len(failures)} failed "
          f"({len(FORMATS)} formats, {time.perf_counter() - start:.1f} s): {status}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
