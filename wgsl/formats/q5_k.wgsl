// Q5_K: 176 bytes for 256 values: d, dmin (halves), scales[12] (as Q4_K), qh[32], qs[128]
// (nibbles as Q4_K); value v of sub-block j = v / 32 takes bit j of qh[v % 32] as its fifth
// bit; value = d·sc_j·q − dmin·m_j. 176-byte blocks keep rows' 4-byte alignment.
const BLOCK_VALUES: u32 = 256u;
const BLOCK_BYTES: u32 = 176u;

// ggml's get_scale_min_k4 (as in q4_k.wgsl).
fn scale_min_k4(s0: u32, s1: u32, s2: u32, j: u32) -> vec2<u32> {
    let k = (j & 3u) << 3u;
    let a = (s0 >> k) & 0xFFu;
    let b = (s1 >> k) & 0xFFu;
    let c = (s2 >> k) & 0xFFu;
    let low = vec2<u32>(a & 63u, b & 63u);
    let high = vec2<u32>((c & 15u) | ((a >> 6u) << 4u), (c >> 4u) | ((b >> 6u) << 4u));
    return select(low, high, j >= 4u);
}

fn dequant8(row: u32, i: u32) -> Eight {
    let w = (row >> 2u) + (i >> 5u) * 44u;
    let k = i & 31u;
    let j = k >> 2u;
    let dm = unpack2x16float(weights[w]);
    let sm = scale_min_k4(weights[w + 1u], weights[w + 2u], weights[w + 3u], j);
    let dl = dm.x * f32(sm.x);
    let ml = dm.y * f32(sm.y);
    let h = w + 4u + ((k & 3u) << 1u);
    let q = w + 12u + ((k >> 3u) << 3u) + ((k & 3u) << 1u);
    let s = (j & 1u) << 2u;
    let a = nibbles(weights[q], s) | (byte_bits(weights[h], j) << vec4<u32>(4u));
    let b = nibbles(weights[q + 1u], s) | (byte_bits(weights[h + 1u], j) << vec4<u32>(4u));
    return Eight(dl * vec4<f32>(a) - ml, dl * vec4<f32>(b) - ml);
}
