// Per-head preparation of queries and keys after the q/k/v projections, and the KV-cache
// store. Workgroup (h, t) handles token t, at position P = step.start + t, in slot
// P % capacity of the caches:
//   h < head_count, query head h:  q (+ q bias) → (RMS norm, q-norm weight) → RoPE
//                                   → × query_scale, written back into q;
//   h ≥ head_count, kv head g = h − head_count:
//                                   k (+ k bias) → (RMS norm, k-norm weight) → RoPE
//                                   → key_cache[slot, g·head_dim ..];
//                                   v (+ v bias) → value_cache[slot, g·head_dim ..].
// RoPE rotates the leading rope_dims values of a head (rope_dims even, ≤ head_dim) as pairs
// (2i, 2i + 1) (rope_style 0, interleaved) or (i, i + rope_dims/2) (rope_style 1, halves /
// NeoX), pair i by the angle P · theta_scale^i, the power taken by repeated f32
// multiplication as ggml does (theta_scale = base^(−2/rope_dims)).
// flags: bit 0 q_norm, bit 1 k_norm, bit 2 biases. head_norms (q-norm weight then k-norm
// weight, 2 × head_dim) and biases (q, k, v biases concatenated, head_count·head_dim +
// 2·kv_head_count·head_dim) are read only when their flags are set (bind any buffer otherwise).
// Shapes: q [n × head_count·head_dim], k and v [n × kv_head_count·head_dim], caches
// [capacity × kv_head_count·head_dim]. head_dim ≤ MAX_HEAD_DIM.
// Dispatch: (head_count + kv_head_count, n, 1).

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params {
    head_count: u32, kv_head_count: u32, head_dim: u32, rope_dims: u32, rope_style: u32,
    theta_scale: f32, query_scale: f32, epsilon: f32, flags: u32, capacity: u32,
}

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> q: array<f32>;
@group(0) @binding(3) var<storage, read> k: array<f32>;
@group(0) @binding(4) var<storage, read> v: array<f32>;
@group(0) @binding(5) var<storage, read> head_norms: array<f32>;
@group(0) @binding(6) var<storage, read> biases: array<f32>;
@group(0) @binding(7) var<storage, read_write> key_cache: array<f32>;
@group(0) @binding(8) var<storage, read_write> value_cache: array<f32>;

const WORKGROUP_SIZE: u32 = 64u;
const MAX_HEAD_DIM: u32 = 256u;

var<workgroup> head: array<f32, MAX_HEAD_DIM>;
var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

fn sum_all(lane: u32, value: f32) -> f32 {
    partial[lane] = value;
    workgroupBarrier();
    for (var s = WORKGROUP_SIZE / 2u; s > 0u; s >>= 1u) {
        if (lane < s) {
            partial[lane] += partial[lane + s];
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
}

// (sin θ, cos θ) for θ ≥ 0, accurate at any position-sized angle (the built-ins may lose
// accuracy far from 0): θ − k·π/2 by a three-part π/2 (k split so that each product with
// the 8-bit leading part is exact up to k ≈ 2^24), then Cephes' sinf/cosf polynomials.
fn sin_cos(theta: f32) -> vec2<f32> {
    let k = round(theta * 0.63661977236758134);
    let k_high = floor(k / 256.0) * 256.0;
    let k_low = k - k_high;
    let r = (((theta - k_high * 1.5703125) - k_low * 1.5703125) - k * 4.837512969970703125e-4)
        - k * 7.549789948768648e-8;
    let z = r * r;
    let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
    let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z
        - 0.5 * z + 1.0;
    switch (u32(k - floor(k / 4.0) * 4.0)) {
        case 0u: { return vec2<f32>(s, c); }
        case 1u: { return vec2<f32>(c, -s); }
        case 2u: { return vec2<f32>(-s, -c); }
        default: { return vec2<f32>(-c, s); }
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let h = wid.x;
    let t = wid.y;
    if (t >= step.tokens || h >= p.head_count + p.kv_head_count) {
        return;
    }
    let hd = p.head_dim;
    let is_query = h < p.head_count;
    let g = h - p.head_count;  // kv head (when !is_query)
    let q_width = p.head_count * hd;
    let kv_width = p.kv_head_count * hd;
    let has_bias = (p.flags & 4u) != 0u;
    let position = step.start + t;
    let row = (position % p.capacity) * kv_width + g * hd;  // cache row (when !is_query)

    // Load (+ bias); a key workgroup also stores its value head.
    var sum = 0.0;
    for (var i = lane; i < hd; i += WORKGROUP_SIZE) {
        var x: f32;
        if (is_query) {
            x = q[t * q_width + h * hd + i];
            if (has_bias) {
                x += biases[h * hd + i];
            }
        } else {
            x = k[t * kv_width + g * hd + i];
            var y = v[t * kv_width + g * hd + i];
            if (has_bias) {
                x += biases[q_width + g * hd + i];
                y += biases[q_width + kv_width + g * hd + i];
            }
            value_cache[row + i] = y;
        }
        head[i] = x;
        sum += x * x;
    }

    let norm = (p.flags & select(2u, 1u, is_query)) != 0u;
    if (norm) {
        let scale = 1.0 / sqrt(sum_all(lane, sum) / f32(hd) + p.epsilon);
        let weights = select(hd, 0u, is_query);
        for (var i = lane; i < hd; i += WORKGROUP_SIZE) {
            head[i] = head[i] * scale * head_norms[weights + i];
        }
    }
    workgroupBarrier();

    let half = p.rope_dims / 2u;
    for (var i = lane; i < hd; i += WORKGROUP_SIZE) {
        var out = head[i];
        if (i < p.rope_dims) {
            var pair: u32;
            var partner: u32;
            var first: bool;
            if (p.rope_style == 0u) {
                pair = i / 2u;
                partner = i ^ 1u;
                first = (i & 1u) == 0u;
            } else {
                first = i < half;
                pair = select(i - half, i, first);
                partner = select(i - half, i + half, first);
            }
            var theta = f32(position);
            for (var j = 0u; j < pair; j++) {
                theta *= p.theta_scale;
            }
            let sc = sin_cos(theta);
            let x0 = select(head[partner], out, first);
            let x1 = select(out, head[partner], first);
            out = select(fma(x0, sc.x, x1 * sc.y), fma(x0, sc.y, -(x1 * sc.x)), first);
        }
        if (is_query) {
            q[t * q_width + h * hd + i] = out * p.query_scale;
        } else {
            key_cache[row + i] = out;
        }
    }
}
