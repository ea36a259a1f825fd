// RMS norm of each token's row, one workgroup per token:
// out[t·count + i] = x[t·count + i] / √(mean over the row of x² + ε) · weight[i].
// Dispatch: (n, 1, 1).

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params { count: u32, epsilon: f32 }

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read_write> output: array<f32>;

const WORKGROUP_SIZE: u32 = 256u;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let t = wid.x;
    if (t >= step.tokens) {
        return;
    }
    let base = t * p.count;
    var sum = 0.0;
    for (var i = lane; i < p.count; i += WORKGROUP_SIZE) {
        let v = x[base + i];
        sum += v * v;
    }
    partial[lane] = sum;
    workgroupBarrier();
    for (var s = WORKGROUP_SIZE / 2u; s > 0u; s >>= 1u) {
        if (lane < s) {
            partial[lane] += partial[lane + s];
        }
        workgroupBarrier();
    }
    let scale = 1.0 / sqrt(partial[0] / f32(p.count) + p.epsilon);
    for (var i = lane; i < p.count; i += WORKGROUP_SIZE) {
        output[base + i] = x[base + i] * scale * weight[i];
    }
}
