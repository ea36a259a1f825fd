// Q5_1: 24 bytes for 32 values: d, m (halves), qh (u32), qs[16] (as Q5_0); value = q·d + m.
// 24-byte blocks keep rows' 4-byte alignment.
const BLOCK_VALUES: u32 = 32u;
const BLOCK_BYTES: u32 = 24u;

fn dequant8(row: u32, i: u32) -> Eight {
    let o = row + (i >> 2u) * 24u;
    let j = i & 3u;
    let dm = read_halves(o);
    let h = word(o + 4u) >> (j << 3u);
    let w = (o >> 2u) + 2u + ((j & 1u) << 1u);
    let s = (j >> 1u) << 2u;
    let a = nibbles(weights[w], s) | (bits4(h, 0u) << vec4<u32>(4u));
    let b = nibbles(weights[w + 1u], s) | (bits4(h, 4u) << vec4<u32>(4u));
    return Eight(vec4<f32>(a) * dm.x + dm.y, vec4<f32>(b) * dm.x + dm.y);
}
