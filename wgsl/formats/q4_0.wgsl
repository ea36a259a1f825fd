// Q4_0: 18 bytes for 32 values: d (half), qs[16]; value j < 16 is the low nibble of qs[j],
// value j + 16 the high nibble; value = (q - 8)·d.
const BLOCK_VALUES: u32 = 32u;
const BLOCK_BYTES: u32 = 18u;

fn dequant8(row: u32, i: u32) -> Eight {
    let o = row + (i >> 2u) * 18u;
    let j = i & 3u;
    let d = read_half(o);
    let q = read8(o + 2u + ((j & 1u) << 3u));
    let s = (j >> 1u) << 2u;
    return Eight((vec4<f32>(nibbles(q.x, s)) - 8.0) * d, (vec4<f32>(nibbles(q.y, s)) - 8.0) * d);
}
