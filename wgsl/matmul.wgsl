// Prefill matrix product, composed after formats/bytes.wgsl, formats/<format>.wgsl and
// outputs/<output>.wgsl (which places row r of token t: store(t, r, value)).
// y[t, r] = Σ_c W[r, c] · x[x_offset + t·columns + c] for t < step.tokens.
// A workgroup computes a tile of ROWS_PER_WORKGROUP rows × TOKENS_PER_WORKGROUP tokens. It
// walks the columns CHUNK at a time: each invocation dequantizes one 8-value group of the
// weight tile (4 neighbouring invocations take a row's 32 consecutive values) and loads 4
// values of the x tile into workgroup memory, then every invocation accumulates a 4-row ×
// 2-token block of the output from there, so each weight group is read and dequantized once
// for all the tile's tokens.
// Dispatch: G = ceil(rows / ROWS_PER_WORKGROUP) as (min(G, 65535), ceil(G / 65535),
// ceil(tokens / TOKENS_PER_WORKGROUP)).

struct Step { tokens: u32, start: u32, reserved0: u32, reserved1: u32 }
struct Params { rows: u32, columns: u32, row_bytes: u32, x_offset: u32, out_offset: u32, out_stride: u32,
                 split_a: u32, split_b: u32 }

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

const ROWS_PER_WORKGROUP: u32 = 64u;
const TOKENS_PER_WORKGROUP: u32 = 32u;
const WORKGROUP_SIZE: u32 = 256u;
// Columns per step: ROWS_PER_WORKGROUP · CHUNK / 8 = WORKGROUP_SIZE groups, and
// TOKENS_PER_WORKGROUP · CHUNK = 4 · WORKGROUP_SIZE x values.
const CHUNK: u32 = 32u;

// [column][row] and [column][token] within the chunk.
var<workgroup> w_tile: array<f32, 2048>;  // CHUNK · ROWS_PER_WORKGROUP
var<workgroup> x_tile: array<f32, 1024>;  // CHUNK · TOKENS_PER_WORKGROUP

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) count: vec3<u32>,
        @builtin(local_invocation_index) lane: u32) {
    let first = (wid.x + wid.y * count.x) * ROWS_PER_WORKGROUP;
    let first_token = wid.z * TOKENS_PER_WORKGROUP;
    if (first >= p.rows || first_token >= step.tokens) {
        return;
    }
    // Loading: row lane / 4 of the tile, its group lane % 4 of the chunk; token lane / 8,
    // its columns 4·(lane % 8) ..< +4 of the chunk.
    let load_row = lane >> 2u;
    let load_group = lane & 3u;
    let row_offset = min(first + load_row, p.rows - 1u) * p.row_bytes;
    let load_token = lane >> 3u;
    let load_column = (lane & 7u) << 2u;
    let token_valid = first_token + load_token < step.tokens;
    let xs = p.x_offset + (first_token + load_token) * p.columns;
    // Computing: rows row_lane + 16m (m < 4), tokens token_lane + 16n (n < 2).
    let row_lane = lane & 15u;
    let token_lane = lane >> 4u;
    var sum0 = vec4<f32>(0.0);
    var sum1 = vec4<f32>(0.0);
    let zero = vec4<f32>(0.0);
    let lanes = vec4<u32>(0u, 1u, 2u, 3u);

    for (var c0 = 0u; c0 < p.columns; c0 += CHUNK) {
        let g = c0 / 8u + load_group;
        var e = Eight(zero, zero);
        if (8u * g < p.columns) {
            e = dequant8(row_offset, g);
            let n = vec4<u32>(p.columns - 8u * g);
            e = Eight(select(zero, e.a, lanes < n), select(zero, e.b, lanes + vec4<u32>(4u) < n));
        }
        let wc = (load_group << 3u) * ROWS_PER_WORKGROUP + load_row;
        w_tile[wc] = e.a.x;
        w_tile[wc + ROWS_PER_WORKGROUP] = e.a.y;
        w_tile[wc + 2u * ROWS_PER_WORKGROUP] = e.a.z;
        w_tile[wc + 3u * ROWS_PER_WORKGROUP] = e.a.w;
        w_tile[wc + 4u * ROWS_PER_WORKGROUP] = e.b.x;
        w_tile[wc + 5u * ROWS_PER_WORKGROUP] = e.b.y;
        w_tile[wc + 6u * ROWS_PER_WORKGROUP] = e.b.z;
        w_tile[wc + 7u * ROWS_PER_WORKGROUP] = e.b.w;

        let column = c0 + load_column;
        var v = zero;
        if (token_valid) {
            let c = xs + column;
            v = select(zero, vec4<f32>(x[c], x[c + 1u], x[c + 2u], x[c + 3u]),
                       lanes + vec4<u32>(column) < vec4<u32>(p.columns));
        }
        let xc = load_column * TOKENS_PER_WORKGROUP + load_token;
        x_tile[xc] = v.x;
        x_tile[xc + TOKENS_PER_WORKGROUP] = v.y;
        x_tile[xc + 2u * TOKENS_PER_WORKGROUP] = v.z;
        x_tile[xc + 3u * TOKENS_PER_WORKGROUP] = v.w;
        workgroupBarrier();

        for (var k = 0u; k < CHUNK; k++) {
            let wk = k * ROWS_PER_WORKGROUP + row_lane;
            let w = vec4<f32>(w_tile[wk], w_tile[wk + 16u], w_tile[wk + 32u], w_tile[wk + 48u]);
            let xk = k * TOKENS_PER_WORKGROUP + token_lane;
            sum0 += w * x_tile[xk];
            sum1 += w * x_tile[xk + 16u];
        }
        workgroupBarrier();
    }

    for (var n = 0u; n < 2u; n++) {
        let t = first_token + token_lane + 16u * n;
        if (t < step.tokens) {
            let s = select(sum1, sum0, n == 0u);
            for (var m = 0u; m < 4u; m++) {
                let r = row_lane + 16u * m;
                if (first + r < p.rows) {
                    store(t, first + r, s[m]);
                }
            }
        }
    }
}
