// Q4_K: 144 bytes for 256 values: d, dmin (halves), scales[12] (eight 6-bit scales and
// mins), qs[128]. Values 64c..64c+31 are the low nibbles of qs[32c..32c+32], values
// 64c+32..64c+63 the high nibbles; sub-block j = value / 32 has value = d·sc_j·q − dmin·m_j.
// 144-byte blocks keep rows' 4-byte alignment.
const BLOCK_VALUES: u32 = 256u;
const BLOCK_BYTES: u32 = 144u;

// ggml's get_scale_min_k4: (scale, min) of sub-block j from the scale words s0 s1 s2
// (bytes 0–3, 4–7, 8–11 of scales).
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
    let w = (row >> 2u) + (i >> 5u) * 36u;
    let k = i & 31u;
    let dm = unpack2x16float(weights[w]);
    let sm = scale_min_k4(weights[w + 1u], weights[w + 2u], weights[w + 3u], k >> 2u);
    let dl = dm.x * f32(sm.x);
    let ml = dm.y * f32(sm.y);
    let q = w + 4u + ((k >> 3u) << 3u) + ((k & 3u) << 1u);
    let s = ((k >> 2u) & 1u) << 2u;
    return Eight(dl * vec4<f32>(nibbles(weights[q], s)) - ml,
                 dl * vec4<f32>(nibbles(weights[q + 1u], s)) - ml);
}
