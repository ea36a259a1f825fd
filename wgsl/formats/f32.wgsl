// F32: 4 bytes a value.
const BLOCK_VALUES: u32 = 1u;
const BLOCK_BYTES: u32 = 4u;

fn dequant8(row: u32, i: u32) -> Eight {
    let w = (row >> 2u) + 8u * i;
    let a = vec4<u32>(weights[w], weights[w + 1u], weights[w + 2u], weights[w + 3u]);
    let b = vec4<u32>(weights[w + 4u], weights[w + 5u], weights[w + 6u], weights[w + 7u]);
    return Eight(bitcast<vec4<f32>>(a), bitcast<vec4<f32>>(b));
}
