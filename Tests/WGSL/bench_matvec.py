"""Rough matvec/matmul timing on the harness's adapter (lavapipe here): a 2048×2048 matrix,
submit + read back, best of several. Run: XDG_RUNTIME_DIR=/tmp python Tests/WGSL/bench_matvec.py [formats…]"""
import sys
import time

import numpy as np
import wgpu

import harness
import test_formats as tf


def bench(kernel, fmt, rows=2048, columns=2048, n=1, repeat=5):
    d = harness.device()
    src = harness.compose(kernel, fmt)
    w = tf.weights(fmt, rows, columns)
    module = d.create_shader_module(code=src)
    pipeline = d.create_compute_pipeline(layout="auto", compute={"module": module, "entry_point": "main"})
    usage = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST
    step = d.create_buffer_with_data(data=harness.words(n, 0, 0, 0), usage=wgpu.BufferUsage.UNIFORM)
    params = d.create_buffer_with_data(data=harness.words(rows, columns, w.shape[1], 0, 0, rows, 0, 0),
                                       usage=wgpu.BufferUsage.UNIFORM)
    bufs = [d.create_buffer_with_data(data=a.tobytes(), usage=usage) for a in
            (w, np.random.default_rng(0).standard_normal(n * columns).astype(np.float32), np.zeros(n * rows, np.float32))]
    group = d.create_bind_group(layout=pipeline.get_bind_group_layout(0), entries=[
        {"binding": i, "resource": {"buffer": b, "offset": 0, "size": b.size}} for i, b in enumerate([step, params] + bufs)])
    gx, gy = harness.groups(rows, harness.constant(src, "ROWS_PER_WORKGROUP"))
    z = n if kernel == "matvec" else -(-n // harness.constant(src, "TOKENS_PER_WORKGROUP"))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        enc = d.create_command_encoder()
        cp = enc.begin_compute_pass()
        cp.set_pipeline(pipeline)
        cp.set_bind_group(0, group)
        cp.dispatch_workgroups(gx, gy, z)
        cp.end()
        d.queue.submit([enc.finish()])
        d.queue.read_buffer(bufs[2])
        best = min(best, time.perf_counter() - t0)
    mb = w.nbytes / 1e6
    print(f"{kernel} {fmt} {rows}x{columns} n={n}: {best * 1e3:.2f} ms ({mb:.1f} MB weights, {mb / 1e3 / best:.2f} GB/s)")


if __name__ == "__main__":
    for fmt in sys.argv[1:] or ["q4_k", "q8_0"]:
        bench("matvec", fmt)
        bench("matmul", fmt, n=32, repeat=3)
