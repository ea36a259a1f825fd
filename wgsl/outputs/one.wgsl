// A product's output as one buffer: row r of token t at y[out_offset + t·out_stride + r]
// (out_offset places a chunk of a split matrix, or skips the rows of unkept logits).
// Composed between the format and matvec.wgsl / matmul.wgsl, which call store().

@group(0) @binding(4) var<storage, read_write> y: array<f32>;

fn store(t: u32, r: u32, value: f32) {
    y[p.out_offset + t * p.out_stride + r] = value;
}
