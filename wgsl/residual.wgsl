// The residual add closing a block, one workgroup per token t (rows of `count` values):
//   d = delta[t]; if post_norm: d = rmsnorm(d) · post_weight
//   x[t] += d
//   if next_norm: normed[t] = rmsnorm(x[t]) · next_weight
// rmsnorm(v) = v / √(mean(v²) + ε). post_weight / next_weight are read only when their flag
// is set (bind any buffer otherwise); likewise normed is written only with next_norm.
// Dispatch: (n, 1, 1).

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params { count: u32, epsilon: f32, post_norm: u32, next_norm: u32 }

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> delta: array<f32>;
@group(0) @binding(3) var<storage, read> post_weight: array<f32>;
@group(0) @binding(4) var<storage, read> next_weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> normed: array<f32>;

const WORKGROUP_SIZE: u32 = 256u;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

// Σ of every invocation's `value`, returned to all of them.
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

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let t = wid.x;
    if (t >= step.tokens) {
        return;
    }
    let base = t * p.count;
    let post = p.post_norm != 0u;
    var scale = 1.0;
    if (post) {
        var sum = 0.0;
        for (var i = lane; i < p.count; i += WORKGROUP_SIZE) {
            let v = delta[base + i];
            sum += v * v;
        }
        scale = 1.0 / sqrt(sum_all(lane, sum) / f32(p.count) + p.epsilon);
    }
    // Each invocation updates and later rereads only its own elements of x.
    var sum = 0.0;
    for (var i = lane; i < p.count; i += WORKGROUP_SIZE) {
        var d = delta[base + i];
        if (post) {
            d = d * scale * post_weight[i];
        }
        let v = x[base + i] + d;
        x[base + i] = v;
        sum += v * v;
    }
    if (p.next_norm != 0u) {
        let next_scale = 1.0 / sqrt(sum_all(lane, sum) / f32(p.count) + p.epsilon);
        for (var i = lane; i < p.count; i += WORKGROUP_SIZE) {
            normed[base + i] = x[base + i] * next_scale * next_weight[i];
        }
    }
}
