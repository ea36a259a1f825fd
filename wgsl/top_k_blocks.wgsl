// Top-k token selection, stage 1 of 2 (then top_k_final.wgsl): the K largest logits of each
// block of BLOCK_VALUES, sorted descending, ties to the lower index first.
// Params (shared with top_k_final): count — logits to choose from; offset — index in
// `logits` of the first (e.g. the last token's row of an [n × count] buffer).
// Bindings: 2 logits (read) f32 [offset + count];
//           3 partials (rw) u32 [blocks × 2K]: block b's K indices at 2K·b + i, then their
//             values' f32 bits at 2K·b + K + i (i < K, best first; index 0xffffffff past a
//             short last block's values).
// blocks = ceil(count / BLOCK_VALUES). Dispatch: (blocks, 1, 1).
// The block lies in workgroup memory as RUNS runs of K: each run is sorted (bitonic), then
// runs merge pairwise (the top K of two sorted runs: elementwise best of one and the other
// reversed, a bitonic sequence, then a bitonic merge) until run 0 holds the block's top K.

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params { count: u32, offset: u32 }

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<u32>;

const K: u32 = 64u;
const RUNS: u32 = 16u;
const BLOCK_VALUES: u32 = 1024u;   // RUNS · K
const WORKGROUP_SIZE: u32 = 256u;
const NONE: u32 = 0xffffffffu;

var<workgroup> values: array<f32, BLOCK_VALUES>;
var<workgroup> indices: array<u32, BLOCK_VALUES>;

// Whether entry a comes before entry b: larger, or as large at a lower index; NONE never does.
fn before(a: u32, b: u32) -> bool {
    let ia = indices[a];
    let ib = indices[b];
    return ia != NONE && (ib == NONE || values[a] > values[b] || (values[a] == values[b] && ia < ib));
}

// Puts entries a and b in order: a first when `descending`, else b.
fn order(a: u32, b: u32, descending: bool) {
    if (select(before(a, b), before(b, a), descending)) {
        let v = values[a];
        let i = indices[a];
        values[a] = values[b];
        indices[a] = indices[b];
        values[b] = v;
        indices[b] = i;
    }
}

// Sorts every run of K descending.
fn sort_runs(lane: u32) {
    for (var k = 2u; k <= K; k <<= 1u) {
        for (var j = k >> 1u; j > 0u; j >>= 1u) {
            for (var c = lane; c < BLOCK_VALUES / 2u; c += WORKGROUP_SIZE) {
                let a = (c / j) * 2u * j + c % j;
                order(a, a + j, (a & k) == 0u || k == K);
            }
            workgroupBarrier();
        }
    }
}

// Merges the RUNS sorted runs: run 0 becomes the top K of all, sorted.
fn merge_runs(lane: u32) {
    for (var width = 1u; width < RUNS; width <<= 1u) {
        let pairs = RUNS / (2u * width);
        // Run r = 2·width·g takes the best of its entry i and entry K − 1 − i of run r + width.
        for (var c = lane; c < pairs * K; c += WORKGROUP_SIZE) {
            let r = (c / K) * 2u * width;
            let a = r * K + c % K;
            let b = (r + width) * K + K - 1u - c % K;
            if (before(b, a)) {
                values[a] = values[b];
                indices[a] = indices[b];
            }
        }
        workgroupBarrier();
        for (var j = K / 2u; j > 0u; j >>= 1u) {
            for (var c = lane; c < pairs * K / 2u; c += WORKGROUP_SIZE) {
                let r = (c / (K / 2u)) * 2u * width;
                let e = c % (K / 2u);
                let a = r * K + (e / j) * 2u * j + e % j;
                order(a, a + j, true);
            }
            workgroupBarrier();
        }
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    // A pass always has tokens; the check keeps binding 0 in the layout.
    if (step.tokens == 0u) {
        return;
    }
    let first = wid.x * BLOCK_VALUES;
    for (var e = lane; e < BLOCK_VALUES; e += WORKGROUP_SIZE) {
        let i = first + e;
        if (i < p.count) {
            values[e] = logits[p.offset + i];
            indices[e] = i;
        } else {
            values[e] = 0.0;
            indices[e] = NONE;
        }
    }
    workgroupBarrier();
    sort_runs(lane);
    merge_runs(lane);
    if (lane < K) {
        partials[2u * K * wid.x + lane] = indices[lane];
        partials[2u * K * wid.x + K + lane] = bitcast<u32>(values[lane]);
    }
}
