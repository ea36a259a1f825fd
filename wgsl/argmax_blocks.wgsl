// Greedy token selection, stage 1 of 2 (then argmax_final.wgsl): the largest of each block of
// BLOCK_VALUES logits, ties to the lowest index (as numpy's argmax).
// Params (shared with argmax_final): count — logits to choose from; offset — index in
// `logits` of the first (e.g. the last token's row of an [n × count] buffer).
// Bindings: 2 logits (read) f32 [offset + count];
//           3 partials (rw) u32 [2 × blocks]: block b's index at 2b, its value's f32 bits at 2b + 1.
// blocks = ceil(count / BLOCK_VALUES). Dispatch: (blocks, 1, 1).

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params { count: u32, offset: u32 }

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<u32>;

const WORKGROUP_SIZE: u32 = 256u;
const BLOCK_VALUES: u32 = 4096u;
const NONE: u32 = 0xffffffffu;

var<workgroup> best_values: array<f32, WORKGROUP_SIZE>;
var<workgroup> best_indices: array<u32, WORKGROUP_SIZE>;

// Whether (v, i) comes before (bv, bi): larger, or as large at a lower index; NONE never does.
fn before(v: f32, i: u32, bv: f32, bi: u32) -> bool {
    return i != NONE && (bi == NONE || v > bv || (v == bv && i < bi));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    // A pass always has tokens; the check keeps binding 0 in the layout.
    if (step.tokens == 0u) {
        return;
    }
    let first = wid.x * BLOCK_VALUES;
    let end = min(first + BLOCK_VALUES, p.count);
    var bv = 0.0;
    var bi = NONE;
    for (var i = first + lane; i < end; i += WORKGROUP_SIZE) {
        let v = logits[p.offset + i];
        if (before(v, i, bv, bi)) {
            bv = v;
            bi = i;
        }
    }
    best_values[lane] = bv;
    best_indices[lane] = bi;
    workgroupBarrier();
    for (var s = WORKGROUP_SIZE / 2u; s > 0u; s >>= 1u) {
        if (lane < s) {
            let v = best_values[lane + s];
            let i = best_indices[lane + s];
            if (before(v, i, best_values[lane], best_indices[lane])) {
                best_values[lane] = v;
                best_indices[lane] = i;
            }
        }
        workgroupBarrier();
    }
    if (lane == 0u) {
        partials[2u * wid.x] = best_indices[0];
        partials[2u * wid.x + 1u] = bitcast<u32>(best_values[0]);
    }
}
