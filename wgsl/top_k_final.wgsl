// Top-k token selection, stage 2 of 2 (after top_k_blocks.wgsl): the K best of the blocks'
// sorted lists, sorted descending, ties to the lower index first.
// Params (shared with top_k_blocks): count, offset (unused here).
// Bindings: 2 partials (read) u32 [blocks × 2K], as top_k_blocks writes them;
//           3 result (rw) u32 [2K]: the K indices (best first), then their logits' f32 bits
//             (index 0xffffffff past the count'th when count < K).
// blocks = ceil(count / BLOCK_VALUES), any number. Dispatch: (1, 1, 1).
// Workgroup memory holds RUNS lists of K: the first round loads RUNS lists, each later one
// RUNS − 1 into runs 1…, beside the best so far in run 0; each round merges them as
// top_k_blocks does.

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params { count: u32, offset: u32 }

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> partials: array<u32>;
@group(0) @binding(3) var<storage, read_write> result: array<u32>;

const K: u32 = 64u;
const RUNS: u32 = 16u;
const BLOCK_VALUES: u32 = 1024u;   // top_k_blocks.wgsl's
const WORKGROUP_SIZE: u32 = 256u;
const NONE: u32 = 0xffffffffu;

var<workgroup> values: array<f32, RUNS * K>;
var<workgroup> indices: array<u32, RUNS * K>;

fn before(a: u32, b: u32) -> bool {
    let ia = indices[a];
    let ib = indices[b];
    return ia != NONE && (ib == NONE || values[a] > values[b] || (values[a] == values[b] && ia < ib));
}

fn order(a: u32, b: u32) {
    if (before(b, a)) {
        let v = values[a];
        let i = indices[a];
        values[a] = values[b];
        indices[a] = indices[b];
        values[b] = v;
        indices[b] = i;
    }
}

// Merges the RUNS sorted runs: run 0 becomes the top K of all, sorted.
fn merge_runs(lane: u32) {
    for (var width = 1u; width < RUNS; width <<= 1u) {
        let pairs = RUNS / (2u * width);
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
                order(a, a + j);
            }
            workgroupBarrier();
        }
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lane: u32) {
    if (step.tokens == 0u) {
        return;
    }
    let blocks = (p.count + BLOCK_VALUES - 1u) / BLOCK_VALUES;
    var next = 0u;        // the next list to load
    var first_run = 0u;   // where it goes: 0 in the first round, then 1 (run 0: the best so far)
    loop {
        for (var e = lane; e < (RUNS - first_run) * K; e += WORKGROUP_SIZE) {
            let list = next + e / K;
            let at = first_run * K + e;
            if (list < blocks) {
                indices[at] = partials[2u * K * list + e % K];
                values[at] = bitcast<f32>(partials[2u * K * list + K + e % K]);
            } else {
                indices[at] = NONE;
                values[at] = 0.0;
            }
        }
        next += RUNS - first_run;
        first_run = 1u;
        workgroupBarrier();
        merge_runs(lane);
        if (next >= blocks) {
            break;
        }
    }
    if (lane < K) {
        result[lane] = indices[lane];
        result[K + lane] = bitcast<u32>(values[lane]);
    }
}
