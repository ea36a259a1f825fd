// Q6_K: 210 bytes for 256 values: ql[128], qh[64], scales int8[16], d (half). In half h
// (128 values), value w has ql[64h + w % 64]'s nibble w / 64 as its low 4 bits and bits
// 2·(w / 32) of qh[32h + w % 32] as its high 2; value = d·scales[v / 16]·(q − 32).
const BLOCK_VALUES: u32 = 256u;
const BLOCK_BYTES: u32 = 210u;

fn dequant8(row: u32, i: u32) -> Eight {
    let o = row + (i >> 5u) * 210u;
    let k = i & 31u;
    let h = k >> 4u;
    let w = (k & 15u) << 3u;
    let ql = read8(o + (h << 6u) + (w & 63u));
    let qh = read8(o + 128u + (h << 5u) + (w & 31u));
    let ls = (w >> 6u) << 2u;
    let hs = (w >> 5u) << 1u;
    let dl = read_half(o + 208u) * f32(read_i8(o + 192u + (k >> 1u)));
    let a = vec4<i32>(nibbles(ql.x, ls) | (crumbs(qh.x, hs) << vec4<u32>(4u))) - 32;
    let b = vec4<i32>(nibbles(ql.y, ls) | (crumbs(qh.y, hs) << vec4<u32>(4u))) - 32;
    return Eight(dl * vec4<f32>(a), dl * vec4<f32>(b));
}
