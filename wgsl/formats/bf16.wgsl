// BF16: 2 bytes a value, the high half of an f32.
const BLOCK_VALUES: u32 = 1u;
const BLOCK_BYTES: u32 = 2u;

fn bf16_pair(v: u32) -> vec2<f32> {
    return bitcast<vec2<f32>>(vec2<u32>(v << 16u, v & 0xFFFF0000u));
}

fn dequant8(row: u32, i: u32) -> Eight {
    let q = read16(row + 16u * i);
    return Eight(vec4<f32>(bf16_pair(q.x), bf16_pair(q.y)), vec4<f32>(bf16_pair(q.z), bf16_pair(q.w)));
}
