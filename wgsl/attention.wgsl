// Attention of each query head over the cached keys and values (f32 throughout).
// Query head h of token t (position pos = step.start + t) attends, causally, over the positions
// from first = (window == 0 ? 0 : max(0, pos − window + 1)) to pos, using kv head
// h / (head_count / kv_head_count); position x is in cache slot x % capacity.
//   score(x) = (q·k_x) · score_scale, then softcap·tanh(score / softcap) where softcap > 0
//   out = Σ_x softmax(score)_x · v_x
// One workgroup per (head, token). It walks the span in tiles of WORKGROUP_SIZE positions:
// invocation l scores position (tile start + l); the tile's maximum updates the workgroup's
// running maximum (online softmax, shared by all invocations, so no scores are kept beyond
// the tile); then invocations own output dimensions (head_dim ≤ WORKGROUP_SIZE: dimension
// l % head_dim of the positions l / head_dim, l / head_dim + slices, … of the tile, with
// slices = WORKGROUP_SIZE / head_dim; larger heads: dimensions l, l + WORKGROUP_SIZE) and add
// the tile's weighted values, rescaled as the maximum moves. Slices and sums merge at the end.
// Requirements: head_dim ≤ MAX_HEAD_DIM, kv_head_count divides head_count, and the cache
// holds every position a token of the pass sees (capacity ≥ window + n − 1 for window layers).
// Dispatch: (head_count, n, 1).

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params {
    head_count: u32, kv_head_count: u32, head_dim: u32, capacity: u32, window: u32,
    score_scale: f32, softcap: f32,
}

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> q: array<f32>;             // [n × head_count·head_dim]
@group(0) @binding(3) var<storage, read> key_cache: array<f32>;     // [capacity × kv_head_count·head_dim]
@group(0) @binding(4) var<storage, read> value_cache: array<f32>;   // [capacity × kv_head_count·head_dim]
@group(0) @binding(5) var<storage, read_write> output: array<f32>;  // [n × head_count·head_dim]

const WORKGROUP_SIZE: u32 = 128u;
const MAX_HEAD_DIM: u32 = 256u;
const DIMS_PER_INVOCATION: u32 = 2u;   // MAX_HEAD_DIM / WORKGROUP_SIZE
const MAX_GROUPS: u32 = 16u;           // invocations taking the tile's maximum in the first round
const LOWEST: f32 = -3.0e38;           // below every score (no infinities in portable WGSL)

var<workgroup> query: array<vec4<f32>, 64>;          // MAX_HEAD_DIM / 4
var<workgroup> scores: array<f32, WORKGROUP_SIZE>;
var<workgroup> weights: array<f32, WORKGROUP_SIZE>;
var<workgroup> rows: array<u32, WORKGROUP_SIZE>;     // value rows' offsets of the tile's positions
var<workgroup> maxima: array<f32, MAX_GROUPS>;
var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let h = wid.x;
    let t = wid.y;
    if (h >= p.head_count || t >= step.tokens) {
        return;
    }
    let hd = p.head_dim;
    let position = step.start + t;
    var first = 0u;
    if (p.window > 0u && position + 1u > p.window) {
        first = position + 1u - p.window;
    }
    let span = position + 1u - first;
    let kv_width = p.kv_head_count * hd;
    let kv_offset = (h / (p.head_count / p.kv_head_count)) * hd;
    let base = (t * p.head_count + h) * hd;

    let quads = hd / 4u;            // whole vec4s of a row; the rest (hd % 4) goes one by one
    if (lane < (hd + 3u) / 4u) {
        var v = vec4<f32>(0.0);
        for (var c = 0u; c < 4u; c++) {
            let d = 4u * lane + c;
            if (d < hd) {
                v[c] = q[base + d];
            }
        }
        query[lane] = v;
    }

    let slices = max(1u, WORKGROUP_SIZE / hd);
    let slice = lane / hd;          // ≥ slices: no dimension in the value sums
    let d0 = lane % hd;
    var acc: array<f32, DIMS_PER_INVOCATION>;
    var running_max = LOWEST;
    var sum = 0.0;                  // this invocation's share of the softmax denominator

    for (var tile = 0u; tile < span; tile += WORKGROUP_SIZE) {
        workgroupBarrier();         // query written; the previous tile's rows and weights read
        let j = tile + lane;
        var s = LOWEST;
        if (j < span) {
            let row = ((first + j) % p.capacity) * kv_width + kv_offset;
            rows[lane] = row;
            var d4 = vec4<f32>(0.0);
            for (var i = 0u; i < quads; i++) {
                let k = row + 4u * i;
                d4 += query[i] * vec4<f32>(key_cache[k], key_cache[k + 1u], key_cache[k + 2u], key_cache[k + 3u]);
            }
            var dot = (d4.x + d4.y) + (d4.z + d4.w);
            for (var d = 4u * quads; d < hd; d++) {
                dot += query[d / 4u][d % 4u] * key_cache[row + d];
            }
            s = dot * p.score_scale;
            if (p.softcap > 0.0) {
                // tanh is ±1 in f32 past ±10; the clamp keeps every tanh implementation finite.
                s = p.softcap * tanh(clamp(s / p.softcap, -10.0, 10.0));
            }
        }
        scores[lane] = s;
        workgroupBarrier();
        if (lane < MAX_GROUPS) {
            var m = scores[lane];
            for (var i = lane + MAX_GROUPS; i < WORKGROUP_SIZE; i += MAX_GROUPS) {
                m = max(m, scores[i]);
            }
            maxima[lane] = m;
        }
        workgroupBarrier();
        var tile_max = maxima[0];
        for (var i = 1u; i < MAX_GROUPS; i++) {
            tile_max = max(tile_max, maxima[i]);
        }
        let new_max = max(running_max, tile_max);
        let rescale = exp(running_max - new_max);
        running_max = new_max;
        var w = 0.0;
        if (j < span) {
            w = exp(s - new_max);
        }
        weights[lane] = w;
        sum = sum * rescale + w;
        for (var k = 0u; k < DIMS_PER_INVOCATION; k++) {
            acc[k] *= rescale;
        }
        workgroupBarrier();
        if (slice < slices) {
            let count = min(WORKGROUP_SIZE, span - tile);
            for (var i = slice; i < count; i += slices) {
                let wi = weights[i];
                let row = rows[i];
                for (var k = 0u; k < DIMS_PER_INVOCATION; k++) {
                    let d = d0 + k * WORKGROUP_SIZE;
                    if (d < hd) {
                        acc[k] += wi * value_cache[row + d];
                    }
                }
            }
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
    let total = partial[0];
    workgroupBarrier();
    partial[lane] = acc[0];
    workgroupBarrier();
    if (slice == 0u) {
        for (var k = 0u; k < DIMS_PER_INVOCATION; k++) {
            let d = d0 + k * WORKGROUP_SIZE;
            if (d < hd) {
                var v = acc[k];
                if (k == 0u) {
                    for (var i = 1u; i < slices; i++) {
                        v += partial[d0 + i * hd];
                    }
                }
                output[base + d] = v / total;
            }
        }
    }
}
