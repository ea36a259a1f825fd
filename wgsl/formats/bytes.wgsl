// Readers over the kernel's `weights: array<u32>`: the raw little-endian GGUF bytes of one
// tensor (or of a chunk of its rows), bound at offset 0. Offsets `o` are in bytes.
// Blocks are generally not 4-byte aligned (18, 22, 34, 210 bytes), but every block size is
// even, so halves always sit at even offsets.

struct Eight { a: vec4<f32>, b: vec4<f32> }

// The u32 at a 4-aligned byte offset.
fn word(o: u32) -> u32 {
    return weights[o >> 2u];
}

// Bits [s, s + 32) of the 64-bit lo | hi << 32, for s in 0..31 (no shift by 32).
fn funnel(lo: u32, hi: u32, s: u32) -> u32 {
    return (lo >> s) | ((hi << (31u - s)) << 1u);
}

// The u32 at any byte offset.
fn read_u32(o: u32) -> u32 {
    let w = o >> 2u;
    return funnel(weights[w], weights[w + 1u], (o & 3u) << 3u);
}

// 8 bytes at any offset, as two u32 (three loads).
fn read8(o: u32) -> vec2<u32> {
    let w = o >> 2u;
    let s = (o & 3u) << 3u;
    let w0 = weights[w];
    let w1 = weights[w + 1u];
    let w2 = weights[w + 2u];
    return vec2<u32>(funnel(w0, w1, s), funnel(w1, w2, s));
}

// 16 bytes at any offset, as four u32 (five loads).
fn read16(o: u32) -> vec4<u32> {
    let w = o >> 2u;
    let s = (o & 3u) << 3u;
    let w0 = weights[w];
    let w1 = weights[w + 1u];
    let w2 = weights[w + 2u];
    let w3 = weights[w + 3u];
    let w4 = weights[w + 4u];
    return vec4<u32>(funnel(w0, w1, s), funnel(w1, w2, s), funnel(w2, w3, s), funnel(w3, w4, s));
}

fn read_u8(o: u32) -> u32 {
    return (weights[o >> 2u] >> ((o & 3u) << 3u)) & 0xFFu;
}

fn read_i8(o: u32) -> i32 {
    return bitcast<i32>(weights[o >> 2u] << (24u - ((o & 3u) << 3u))) >> 24u;
}

// The u16 at an even byte offset.
fn read_u16(o: u32) -> u32 {
    return (weights[o >> 2u] >> ((o & 2u) << 3u)) & 0xFFFFu;
}

// The half at an even byte offset, as f32.
fn read_half(o: u32) -> f32 {
    return unpack2x16float(read_u16(o)).x;
}

// The two halves at a 4-aligned byte offset.
fn read_halves(o: u32) -> vec2<f32> {
    return unpack2x16float(weights[o >> 2u]);
}

const BYTE_SHIFTS: vec4<u32> = vec4<u32>(0u, 8u, 16u, 24u);

// Bits [s, s + 4) of each of v's four bytes (s = 0: low nibbles, s = 4: high nibbles).
fn nibbles(v: u32, s: u32) -> vec4<u32> {
    return (vec4<u32>(v) >> (BYTE_SHIFTS + vec4<u32>(s))) & vec4<u32>(15u);
}

// Bits [s, s + 2) of each of v's four bytes.
fn crumbs(v: u32, s: u32) -> vec4<u32> {
    return (vec4<u32>(v) >> (BYTE_SHIFTS + vec4<u32>(s))) & vec4<u32>(3u);
}

// Bit s of each of v's four bytes.
fn byte_bits(v: u32, s: u32) -> vec4<u32> {
    return (vec4<u32>(v) >> (BYTE_SHIFTS + vec4<u32>(s))) & vec4<u32>(1u);
}

// Bits [s, s + 4) of v, one per lane.
fn bits4(v: u32, s: u32) -> vec4<u32> {
    return (vec4<u32>(v) >> (vec4<u32>(0u, 1u, 2u, 3u) + vec4<u32>(s))) & vec4<u32>(1u);
}

// v's four bytes as signed integers.
fn signed_bytes(v: u32) -> vec4<f32> {
    return vec4<f32>(bitcast<vec4<i32>>(vec4<u32>(v) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u));
}
