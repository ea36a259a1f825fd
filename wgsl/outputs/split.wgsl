// The output of stacked matrices (q, k, v or gate, up stored one after the other as one
// weight buffer) split back into a buffer each: rows [0, split_a) go to y0, [split_a,
// split_b) to y1 and [split_b, rows) to y2, each laid out [tokens × its own rows]. Two
// matrices: split_b = rows, and y2 may be bound to y1's buffer (never written).
// Composed between the format and matvec.wgsl / matmul.wgsl, which call store().

@group(0) @binding(4) var<storage, read_write> y0: array<f32>;
@group(0) @binding(5) var<storage, read_write> y1: array<f32>;
@group(0) @binding(6) var<storage, read_write> y2: array<f32>;

fn store(t: u32, r: u32, value: f32) {
    if (r < p.split_a) {
        y0[t * p.split_a + r] = value;
    } else if (r < p.split_b) {
        y1[t * (p.split_b - p.split_a) + r - p.split_a] = value;
    } else {
        y2[t * (p.rows - p.split_b) + r - p.split_b] = value;
    }
}
