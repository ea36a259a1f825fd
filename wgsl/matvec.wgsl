// Decode matrix–vector product, composed after formats/bytes.wgsl, formats/<format>.wgsl and
// outputs/<output>.wgsl (which places row r of token t: store(t, r, value)).
// y[t, r] = Σ_c W[r, c] · x[x_offset + t·columns + c], one token t
// per workgroup z. A workgroup computes ROWS_PER_WORKGROUP consecutive rows: its invocations
// walk the rows' 8-value groups together (invocation l takes groups l, l + WORKGROUP_SIZE, …,
// so neighbours read neighbouring bytes of each row), loading each x group once for all the
// rows; the partial sums meet in workgroup memory.
// Dispatch: G = ceil(rows / ROWS_PER_WORKGROUP) as (min(G, 65535), ceil(G / 65535), tokens).

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params { rows: u32, columns: u32, row_bytes: u32, x_offset: u32, out_offset: u32, out_stride: u32,
                 split_a: u32, split_b: u32 }

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

// 4: an invocation keeps the rows' sums in one vec4. 128 invocations: on an H200 (Vulkan)
// decode ran 1.2× faster than with 64 (and a little faster than with 256), and slower with
// more rows a workgroup (fewer, larger workgroups hide less of the memory's latency).
const ROWS_PER_WORKGROUP: u32 = 4u;
const WORKGROUP_SIZE: u32 = 128u;

var<workgroup> partial: array<vec4<f32>, WORKGROUP_SIZE>;

// e's values at and past n (n < 8) as zeros.
fn first_values(e: Eight, n: u32) -> Eight {
    let lanes = vec4<u32>(0u, 1u, 2u, 3u);
    return Eight(select(vec4<f32>(0.0), e.a, lanes < vec4<u32>(n)),
                 select(vec4<f32>(0.0), e.b, lanes + vec4<u32>(4u) < vec4<u32>(n)));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) count: vec3<u32>,
        @builtin(local_invocation_index) lane: u32) {
    let first = (wid.x + wid.y * count.x) * ROWS_PER_WORKGROUP;
    // z < tokens by the dispatch; step.tokens bounds it too (and keeps binding 0 in the layout).
    if (first >= p.rows || wid.z >= step.tokens) {
        return;
    }
    let t = wid.z;
    let last = p.rows - 1u;
    var offsets: array<u32, ROWS_PER_WORKGROUP>;
    for (var r = 0u; r < ROWS_PER_WORKGROUP; r++) {
        offsets[r] = min(first + r, last) * p.row_bytes;
    }
    let xs = p.x_offset + t * p.columns;
    let groups = (p.columns + 7u) / 8u;
    var sum = vec4<f32>(0.0);
    for (var i = lane; i < groups; i += WORKGROUP_SIZE) {
        let c = xs + 8u * i;
        var v = Eight(vec4<f32>(x[c], x[c + 1u], x[c + 2u], x[c + 3u]),
                      vec4<f32>(x[c + 4u], x[c + 5u], x[c + 6u], x[c + 7u]));
        let n = p.columns - 8u * i;
        if (n < 8u) {
            v = first_values(v, n);
        }
        for (var r = 0u; r < ROWS_PER_WORKGROUP; r++) {
            var e = dequant8(offsets[r], i);
            if (n < 8u) {
                e = first_values(e, n);
            }
            sum[r] += dot(e.a, v.a) + dot(e.b, v.b);
        }
    }
    partial[lane] = sum;
    workgroupBarrier();
    for (var s = WORKGROUP_SIZE / 2u; s > 0u; s >>= 1u) {
        if (lane < s) {
            partial[lane] += partial[lane + s];
        }
        workgroupBarrier();
    }
    if (lane < ROWS_PER_WORKGROUP && first + lane < p.rows) {
        store(t, first + lane, partial[0][lane]);
    }
}
