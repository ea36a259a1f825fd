"""Runs Swiftlet's WGSL kernels through the `wgpu` package, for tests against numpy.

compose(kernel, format=None, output=None) builds a program the way every executor does
(wgsl/README.md; products take output "one" unless told);
run(...) dispatches it once with the given uniforms and storage arrays and returns the
storage arrays' contents afterwards.
"""
import os
import pathlib
import struct

import numpy as np
import wgpu

WGSL = pathlib.Path(__file__).resolve().parents[2] / "wgsl"
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

_device = None


def device():
    global _device
    if _device is None:
        adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
        _device = adapter.request_device_sync(required_limits={
            "max-storage-buffer-binding-size": adapter.limits["max-storage-buffer-binding-size"],
            "max-buffer-size": adapter.limits["max-buffer-size"],
        })
    return _device


PRODUCTS = ("matvec", "matmul")


def compose(kernel, format=None, output=None):
    parts = []
    if format is not None:
        parts += [(WGSL / "formats" / "bytes.wgsl").read_text(), (WGSL / "formats" / f"{format}.wgsl").read_text()]
    if kernel in PRODUCTS:
        parts.append((WGSL / "outputs" / f"{output or 'one'}.wgsl").read_text())
    parts.append((WGSL / f"{kernel}.wgsl").read_text())
    return "\n".join(parts)


def constant(source, name):
    """The value of `const NAME: u32 = N;` (a trailing // comment allowed), as the executor parses it."""
    for line in source.splitlines():
        code = line.split("//")[0].strip()
        if code.startswith("const ") and code[6:].split(":")[0].strip() == name:
            return int(code.split("=")[1].strip().rstrip(";").strip().rstrip("u"), 0)
    raise KeyError(name)


def words(*values):
    """Params as the executor writes them: u32 for ints, f32 for floats, 4 bytes each."""
    out = b""
    for v in values:
        out += struct.pack("<f", v) if isinstance(v, float) else struct.pack("<I", v)
    return out


def run(source, dispatch, step, params, storage):
    """storage: list of numpy arrays (bindings 2, 3, …); returns their contents after the dispatch as bytes-views of the same dtype."""
    d = device()
    module = d.create_shader_module(code=source)
    pipeline = d.create_compute_pipeline(layout="auto", compute={"module": module, "entry_point": "main"})
    usage = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST

    def uniform(data):
        data = data + b"\0" * (-len(data) % 16 or 0)
        return d.create_buffer_with_data(data=data or b"\0" * 16, usage=wgpu.BufferUsage.UNIFORM)

    buffers = [uniform(words(*step, *([0] * (4 - len(step))))), uniform(params)]
    for a in storage:
        raw = np.ascontiguousarray(a).tobytes()
        raw += b"\0" * (-len(raw) % 4)
        buffers.append(d.create_buffer_with_data(data=raw or b"\0\0\0\0", usage=usage))
    group = d.create_bind_group(layout=pipeline.get_bind_group_layout(0), entries=[
        {"binding": i, "resource": {"buffer": b, "offset": 0, "size": b.size}} for i, b in enumerate(buffers)])
    encoder = d.create_command_encoder()
    compute = encoder.begin_compute_pass()
    compute.set_pipeline(pipeline)
    compute.set_bind_group(0, group)
    compute.dispatch_workgroups(*dispatch)
    compute.end()
    d.queue.submit([encoder.finish()])
    results = []
    for a, b in zip(storage, buffers[2:]):
        raw = bytes(d.queue.read_buffer(b))[: np.asarray(a).nbytes]
        results.append(np.frombuffer(raw, dtype=np.asarray(a).dtype).reshape(np.asarray(a).shape))
    return results


def groups(rows, per_workgroup):
    g = -(-rows // per_workgroup)
    x = min(g, 65535)
    return x, -(-g // x)


def run_stages(stages, step, storage):
    """Dispatches several programs in sequence over shared buffers.
    stages: list of (source, dispatch, params, bindings), bindings naming for bindings 2, 3, …
    of that stage the indices of its buffers in `storage` (numpy arrays); returns every
    storage array's contents after the last stage, as run() does."""
    d = device()
    usage = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST

    def uniform(data):
        data = data + b"\0" * (-len(data) % 16 or 0)
        return d.create_buffer_with_data(data=data or b"\0" * 16, usage=wgpu.BufferUsage.UNIFORM)

    step_buffer = uniform(words(*step, *([0] * (4 - len(step)))))
    buffers = []
    for a in storage:
        raw = np.ascontiguousarray(a).tobytes()
        raw += b"\0" * (-len(raw) % 4)
        buffers.append(d.create_buffer_with_data(data=raw or b"\0\0\0\0", usage=usage))
    encoder = d.create_command_encoder()
    for source, dispatch, params, bindings in stages:
        module = d.create_shader_module(code=source)
        pipeline = d.create_compute_pipeline(layout="auto", compute={"module": module, "entry_point": "main"})
        bound = [step_buffer, uniform(params)] + [buffers[i] for i in bindings]
        group = d.create_bind_group(layout=pipeline.get_bind_group_layout(0), entries=[
            {"binding": i, "resource": {"buffer": b, "offset": 0, "size": b.size}} for i, b in enumerate(bound)])
        compute = encoder.begin_compute_pass()
        compute.set_pipeline(pipeline)
        compute.set_bind_group(0, group)
        compute.dispatch_workgroups(*dispatch)
        compute.end()
    d.queue.submit([encoder.finish()])
    results = []
    for a, b in zip(storage, buffers):
        raw = bytes(d.queue.read_buffer(b))[: np.asarray(a).nbytes]
        results.append(np.frombuffer(raw, dtype=np.asarray(a).dtype).reshape(np.asarray(a).shape))
    return results
