"""The per-token kernels (rms_norm, residual, rope_kv, glu) against numpy references that
follow the CPU arithmetic (Ops.swift, MathFunctions.swift, Transformer.swift).
Run: XDG_RUNTIME_DIR=/tmp ~/.cache/swiftlet/gpu-venv/bin/python Tests/WGSL/test_ops.py
Exits non-zero on any failure; prints one line per check that fails and a summary line."""
import sys
import time

import numpy as np

import harness

F = np.float32
rng = np.random.default_rng(4321)
failures = []
checks = 0
RTOL = 1e-5


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL", what, flush=True)


def close(got, want, what, rtol=RTOL):
    """Element-wise |got − want| ≤ rtol · (|want| + rms(want))."""
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    scale = np.sqrt(np.mean(want * want)) if want.size else 0.0
    err = np.abs(got - want)
    ok = bool(np.all(err <= rtol * (np.abs(want) + scale))) and got.shape == want.shape
    if not ok:
        worst = np.max(err / (np.abs(want) + scale + 1e-30))
        what = f"{what} (worst relative error {worst:.3g})"
    check(ok, what)


def randn(*shape):
    return rng.standard_normal(shape).astype(F)


def rms_scale(row, eps):
    """1/√(mean(x²) + ε) as Ops.rmsNorm: squares in f32, summed in double."""
    sq = (row * row).astype(np.float64)
    mean = F(sq.sum() / row.size)
    return F(1) / np.sqrt(F(mean + F(eps)))


def rms_norm_ref(x, weight, eps):
    return np.stack([(row * rms_scale(row, eps)) * weight for row in x]).astype(F)


def sources(name):
    src = harness.compose(name)
    return src, harness.constant(src, "WORKGROUP_SIZE")


# --- rms_norm ---------------------------------------------------------------------------
def test_rms_norm():
    src, _ = sources("rms_norm")
    for n, count in [(1, 64), (5, 1000), (5, 4096), (1, 3)]:
        eps = 1e-6
        x = randn(n, count) * F(3)
        w = randn(count)
        out = np.zeros((n, count), F)
        _, _, got = harness.run(src, (n, 1, 1), (n, 0), harness.words(count, eps), [x, w, out])
        close(got, rms_norm_ref(x, w, eps), f"rms_norm n={n} count={count}")


# --- residual ---------------------------------------------------------------------------
def test_residual():
    src, _ = sources("residual")
    for n, count in [(1, 576), (5, 2048), (5, 100)]:
        for post in (0, 1):
            for nxt in (0, 1):
                eps = 1e-5
                delta = randn(n, count)
                pw, nw = randn(count), randn(count)
                x = randn(n, count) * F(4)
                normed = randn(n, count)  # must stay untouched without next_norm
                d = rms_norm_ref(delta, pw, eps) if post else delta
                want_x = (x + d).astype(F)
                want_normed = rms_norm_ref(want_x, nw, eps) if nxt else normed
                _, _, _, got_x, got_normed = harness.run(
                    src, (n, 1, 1), (n, 0), harness.words(count, eps, post, nxt), [delta, pw, nw, x, normed])
                tag = f"residual n={n} count={count} post={post} next={nxt}"
                close(got_x, want_x, tag + " x")
                close(got_normed, want_normed, tag + " normed")


# --- rope_kv ----------------------------------------------------------------------------
def rope_ref(head, position, rope_dims, style, theta_scale):
    """RotaryEmbedding.angles + apply on one head (f32, the angle by repeated f32 products,
    sin/cos in double rounded, the rotation fused)."""
    out = head.copy()
    theta = F(position)
    for pair in range(rope_dims // 2):
        cos, sin = F(np.cos(np.float64(theta))), F(np.sin(np.float64(theta)))
        i, j = (2 * pair, 2 * pair + 1) if style == 0 else (pair, pair + rope_dims // 2)
        x0, x1 = head[i], head[j]
        out[i] = F(np.float64(x0) * np.float64(cos) + np.float64(-(x1 * sin)))
        out[j] = F(np.float64(x0) * np.float64(sin) + np.float64(x1 * cos))
        theta = F(theta * theta_scale)
    return out


def test_rope_kv():
    src, _ = sources("rope_kv")
    cases = [
        # heads, kv, hd, rope_dims, style, flags, n, start, capacity, base, query_scale
        (8, 2, 64, 64, 0, 0, 1, 0, 16, 10000.0, 1.0),
        (8, 2, 64, 64, 1, 0, 5, 3, 16, 10000.0, 1.0),
        (8, 2, 64, 32, 0, 1, 5, 14, 16, 10000.0, 0.125),      # wraps: slots 14 15 0 1 2
        (8, 2, 64, 48, 1, 2, 1, 17, 16, 1000000.0, 1.0),      # wraps: slot 1
        (8, 2, 256, 256, 1, 4, 5, 1000, 2048, 10000.0, 0.0625),
        (8, 2, 256, 128, 0, 7, 5, 40000, 40002, 500000.0, 1.0),  # wraps past 40002
        (4, 4, 256, 256, 0, 3, 1, 8191, 8192, 10000.0, 1.0),
        (8, 2, 128, 128, 1, 7, 5, 131000, 4096, 1000000.0, 0.0883883),
        (2, 1, 96, 64, 1, 5, 5, 7, 9, 10000.0, 1.0),           # head_dim not a multiple of 64
    ]
    for heads, kv, hd, rope_dims, style, flags, n, start, capacity, base, qscale in cases:
        eps = 1e-6
        theta_scale = F(base ** (-2.0 / rope_dims))
        q = randn(n, heads * hd)
        k = randn(n, kv * hd)
        v = randn(n, kv * hd)
        norms = randn(2 * hd)
        biases = randn(heads * hd + 2 * kv * hd)
        kc = randn(capacity, kv * hd)
        vc = randn(capacity, kv * hd)
        want_q, want_kc, want_vc = q.copy(), kc.copy(), vc.copy()
        qb, kb, vb = biases[:heads * hd], biases[heads * hd:heads * hd + kv * hd], biases[heads * hd + kv * hd:]
        for t in range(n):
            pos = start + t
            slot = pos % capacity
            for h in range(heads):
                x = q[t, h * hd:(h + 1) * hd].copy()
                if flags & 4:
                    x = (x + qb[h * hd:(h + 1) * hd]).astype(F)
                if flags & 1:
                    x = (x * rms_scale(x, eps)) * norms[:hd]
                x = rope_ref(x, pos, rope_dims, style, theta_scale)
                want_q[t, h * hd:(h + 1) * hd] = x * F(qscale)
            for g in range(kv):
                x = k[t, g * hd:(g + 1) * hd].copy()
                y = v[t, g * hd:(g + 1) * hd].copy()
                if flags & 4:
                    x = (x + kb[g * hd:(g + 1) * hd]).astype(F)
                    y = (y + vb[g * hd:(g + 1) * hd]).astype(F)
                if flags & 2:
                    x = (x * rms_scale(x, eps)) * norms[hd:]
                want_kc[slot, g * hd:(g + 1) * hd] = rope_ref(x, pos, rope_dims, style, theta_scale)
                want_vc[slot, g * hd:(g + 1) * hd] = y
        params = harness.words(heads, kv, hd, rope_dims, style, float(theta_scale), float(F(qscale)), eps, flags, capacity)
        got_q, _, _, _, _, got_kc, got_vc = harness.run(
            src, (heads + kv, n, 1), (n, start), params, [q, k, v, norms, biases, kc, vc])
        tag = (f"rope_kv heads={heads} kv={kv} hd={hd} rope_dims={rope_dims} style={style} flags={flags} "
               f"n={n} start={start} capacity={capacity}")
        close(got_q, want_q, tag + " q")
        close(got_kc, want_kc, tag + " key_cache")
        check(np.array_equal(got_vc, want_vc), tag + " value_cache")


# --- glu --------------------------------------------------------------------------------
def gelu_ref(x):
    """MathFunctions.geluExact in f32."""
    x = x.astype(F)
    inner = F(0.79788456080286535587989211986876) * x * (np.float64(F(0.044715) * x) * x + 1).astype(F)
    t = np.tanh(inner.astype(np.float64)).astype(F)
    return (F(0.5) * x * (F(1) + t)).astype(F)


def silu_ref(x):
    x = x.astype(F)
    with np.errstate(over="ignore"):
        e = np.exp(-x.astype(np.float64)).astype(F)
    return (x / (F(1) + e)).astype(F)


def test_glu():
    src, size = sources("glu")
    for n, count in [(1, 64), (5, 1000), (5, 8192)]:
        for activation in (0, 1):
            gate = randn(n, count) * F(3)
            gate[0, :8] = [-100, -20, -10, -1e-6, 0, 1e-6, 20, 100]
            up = randn(n, count)
            act = silu_ref(gate) if activation == 0 else gelu_ref(gate)
            want = (act * up).astype(F)
            got, _ = harness.run(src, (-(-count // size), n, 1), (n, 0), harness.words(count, activation), [gate, up])
            tag = f"glu n={n} count={count} activation={activation}"
            # (1 + tanh) cancels for very negative inputs, in the reference too: allow a
            # few ulps of 1 there, scaled by |x · up|.
            err = np.abs(got.astype(np.float64) - want)
            ok = np.all(err <= RTOL * np.abs(want) + 4e-7 * np.abs(gate * up))
            check(bool(ok), tag + ("" if ok else f" (worst error {np.max(err):.3g})"))


if __name__ == "__main__":
    began = time.time()
    for test in (test_rms_norm, test_residual, test_rope_kv, test_glu):
        test()
    print(f"test_ops: {checks - len(failures)}/{checks} checks passed in {time.time() - began:.1f}s")
    sys.exit(1 if failures else 0)
