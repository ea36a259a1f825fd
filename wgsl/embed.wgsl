// Token embedding lookup, composed after formats/bytes.wgsl and formats/<format>.wgsl.
// out[t·columns + c] = W[tokens[t] − first_row, c] · scale, for the tokens whose row lies in
// this chunk of rows (first_row ≤ tokens[t] < first_row + row_count); other tokens' rows
// are left untouched. An invocation writes 8 values.
// Dispatch: (ceil(columns / (8·WORKGROUP_SIZE)), n, 1).

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params { columns: u32, row_bytes: u32, first_row: u32, row_count: u32, scale: f32 }

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read> tokens: array<u32>;
@group(0) @binding(4) var<storage, read_write> output: array<f32>;

const WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.y;
    let i = gid.x;
    if (t >= step.tokens || 8u * i >= p.columns) {
        return;
    }
    let token = tokens[t];
    if (token < p.first_row || token - p.first_row >= p.row_count) {
        return;
    }
    let e = dequant8((token - p.first_row) * p.row_bytes, i);
    let base = t * p.columns + 8u * i;
    if (8u * i + 8u <= p.columns) {
        output[base] = e.a.x * p.scale;
        output[base + 1u] = e.a.y * p.scale;
        output[base + 2u] = e.a.z * p.scale;
        output[base + 3u] = e.a.w * p.scale;
        output[base + 4u] = e.b.x * p.scale;
        output[base + 5u] = e.b.y * p.scale;
        output[base + 6u] = e.b.z * p.scale;
        output[base + 7u] = e.b.w * p.scale;
    } else {
        let n = p.columns - 8u * i;
        for (var k = 0u; k < n; k++) {
            output[base + k] = select(e.b[k - 4u], e.a[k], k < 4u) * p.scale;
        }
    }
}
