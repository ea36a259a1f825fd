// Greedy token selection, stage 2 of 2 (after argmax_blocks.wgsl): the best of the blocks'
// results, ties to the lowest index.
// Params (shared with argmax_blocks): count, offset (unused here).
// Bindings: 2 partials (read) u32 [2 × blocks], as argmax_blocks writes them;
//           3 result (rw) u32 [2]: the index, then its logit's f32 bits
//           (index 0xffffffff when count is 0).
// blocks = ceil(count / BLOCK_VALUES), any number. Dispatch: (1, 1, 1).

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params { count: u32, offset: u32 }

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> partials: array<u32>;
@group(0) @binding(3) var<storage, read_write> result: array<u32>;

const WORKGROUP_SIZE: u32 = 256u;
const BLOCK_VALUES: u32 = 4096u;   // argmax_blocks.wgsl's
const NONE: u32 = 0xffffffffu;

var<workgroup> best_values: array<f32, WORKGROUP_SIZE>;
var<workgroup> best_indices: array<u32, WORKGROUP_SIZE>;

fn before(v: f32, i: u32, bv: f32, bi: u32) -> bool {
    return i != NONE && (bi == NONE || v > bv || (v == bv && i < bi));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lane: u32) {
    if (step.tokens == 0u) {
        return;
    }
    let blocks = (p.count + BLOCK_VALUES - 1u) / BLOCK_VALUES;
    var bv = 0.0;
    var bi = NONE;
    for (var b = lane; b < blocks; b += WORKGROUP_SIZE) {
        let i = partials[2u * b];
        let v = bitcast<f32>(partials[2u * b + 1u]);
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
        result[0] = best_indices[0];
        result[1] = bitcast<u32>(best_values[0]);
    }
}
