// F16: 2 bytes a value (rows may start at an offset ≡ 2 mod 4).
const BLOCK_VALUES: u32 = 1u;
const BLOCK_BYTES: u32 = 2u;

fn dequant8(row: u32, i: u32) -> Eight {
    let q = read16(row + 16u * i);
    return Eight(vec4<f32>(unpack2x16float(q.x), unpack2x16float(q.y)),
                 vec4<f32>(unpack2x16float(q.z), unpack2x16float(q.w)));
}
