// Q4_1: 20 bytes for 32 values: d, m (halves), qs[16] (nibbles as Q4_0); value = q·d + m.
// 20-byte blocks keep rows' 4-byte alignment.
const BLOCK_VALUES: u32 = 32u;
const BLOCK_BYTES: u32 = 20u;

fn dequant8(row: u32, i: u32) -> Eight {
    let o = row + (i >> 2u) * 20u;
    let j = i & 3u;
    let dm = read_halves(o);
    let w = (o >> 2u) + 1u + ((j & 1u) << 1u);
    let s = (j >> 1u) << 2u;
    return Eight(vec4<f32>(nibbles(weights[w], s)) * dm.x + dm.y,
                 vec4<f32>(nibbles(weights[w + 1u], s)) * dm.x + dm.y);
}
