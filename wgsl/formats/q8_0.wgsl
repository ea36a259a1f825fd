// Q8_0: 34 bytes for 32 values: d (half), qs int8[32]; value = q·d.
const BLOCK_VALUES: u32 = 32u;
const BLOCK_BYTES: u32 = 34u;

fn dequant8(row: u32, i: u32) -> Eight {
    let o = row + (i >> 2u) * 34u;
    let d = read_half(o);
    let q = read8(o + 2u + ((i & 3u) << 3u));
    return Eight(signed_bytes(q.x) * d, signed_bytes(q.y) * d);
}
