// Q5_0: 22 bytes for 32 values: d (half), qh (u32: bit j is value j's fifth bit), qs[16]
// (nibbles as Q4_0); value = (q - 16)·d.
const BLOCK_VALUES: u32 = 32u;
const BLOCK_BYTES: u32 = 22u;

fn dequant8(row: u32, i: u32) -> Eight {
    let o = row + (i >> 2u) * 22u;
    let j = i & 3u;
    let d = read_half(o);
    let h = read_u32(o + 2u) >> (j << 3u);
    let q = read8(o + 6u + ((j & 1u) << 3u));
    let s = (j >> 1u) << 2u;
    let a = nibbles(q.x, s) | (bits4(h, 0u) << vec4<u32>(4u));
    let b = nibbles(q.y, s) | (bits4(h, 4u) << vec4<u32>(4u));
    return Eight((vec4<f32>(a) - 16.0) * d, (vec4<f32>(b) - 16.0) * d);
}
