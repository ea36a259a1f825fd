// Gated linear unit, element-wise over n rows of `count` values: gate = act(gate) · up, with
// act = SiLU (activation 0: x / (1 + e^−x)) or GELU's tanh approximation (activation 1:
// 0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²))), evaluated in f32 as ggml_gelu_f32).
// Dispatch: (ceil(count / WORKGROUP_SIZE), n, 1).

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params { count: u32, activation: u32 }

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> gate: array<f32>;
@group(0) @binding(3) var<storage, read> up: array<f32>;

const WORKGROUP_SIZE: u32 = 64u;

// tanh through e^(−2|y|) ≤ 1, so no overflow for any y.
fn tanh_f32(y: f32) -> f32 {
    let e = exp(-2.0 * abs(y));
    let t = (1.0 - e) / (1.0 + e);
    return select(t, -t, y < 0.0);
}

fn gelu(x: f32) -> f32 {
    let inner = 0.79788456080286535587989211986876 * x * fma(0.044715 * x, x, 1.0);
    return 0.5 * x * (1.0 + tanh_f32(inner));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.y;
    let i = gid.x;
    if (t >= step.tokens || i >= p.count) {
        return;
    }
    let j = t * p.count + i;
    let g = gate[j];
    var a: f32;
    if (p.activation == 0u) {
        a = g / (1.0 + exp(-g));
    } else {
        a = gelu(g);
    }
    gate[j] = a * up[j];
}
