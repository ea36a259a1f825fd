#if arch(x86_64) && SWIFTLET_AVX2
import _Builtin_intrinsics.intel

/// Prefill's k-quant products (the tokens llama.cpp gives its matrix kernels, `batchDot`)
/// a tile of rows at a time, one row per 32-bit lane (8 rows, or 16 with AVX-512): the
/// rows' super-blocks are unpacked once, transposed so that each 4 quant bytes of the rows
/// fill one vector, and every token's 4 activation bytes, broadcast, meet all the rows in
/// one 4-byte dot product per lane. The per-row sums need no horizontal reduction, and
/// they are the exact integers of X86SuperBlocks; the float steps are `batchDot`'s, in its
/// order, one row per lane.
enum X86SuperBlockTiles {
    #if SWIFTLET_AVX512
    typealias Int32s = SIMD16<Int32>
    typealias Floats = SIMD16<Float>
    #else
    typealias Int32s = SIMD8<Int32>
    typealias Floats = SIMD8<Float>
    #endif

    /// Rows per tile: a vector's 32-bit lanes.
    static var rows: Int { Int32s.scalarCount }

    /// Unpacks each super-block of the tile's rows with `unpack(row, group)` (`row(r)`: row
    /// r's super-block) into `groupBytes`, then writes `product(groups, activation)` (the
    /// rows' results) for every token. Tiles of other sizes take `batchDot` row by row.
    @inline(__always)
    static func multiply<Format: WeightFormat>(
        _ format: Format.Type, _ p: RowTile, groupBytes: Int,
        unpack: (_ row: (Int) -> UnsafeRawPointer, _ group: UnsafeMutableRawPointer) -> Void,
        product: (_ groups: UnsafeRawPointer, _ activation: UnsafeRawPointer) -> Floats
    ) {
        guard p.rows == rows else { return Format.multiplyBatchByRows(p) }
        // groups: [blocks × groupBytes]
        withScratch(byteCount: p.blocks * groupBytes) { groups in
            for block in 0..<p.blocks {
                unpack({ p.weights + $0 * p.rowBytes + block * Format.blockBytes }, groups + block * groupBytes)
            }
            for b in p.tokens {
                let results = product(UnsafeRawPointer(groups), p.activations + b * p.activationRowBytes)
                UnsafeMutableRawPointer(p.y + b * p.outputStride).storeBytes(of: results, as: Floats.self)
            }
        }
    }

    /// Stores the rows' runs of 32 quant bytes (`run(r)`) transposed into `out`:
    /// [8 groups of 4 values × rows × 4 bytes], so vector g holds group g of every row.
    @inline(__always)
    static func storeTransposed(_ run: (_ row: Int) -> __m256i, into out: UnsafeMutableRawPointer) {
        for r in 0..<rows {
            let words = unsafeBitCast(run(r), to: SIMD8<UInt32>.self)
            for g in 0..<8 { out.storeBytes(of: words[g], toByteOffset: 4 * (rows * g + r), as: UInt32.self) }
        }
    }

    /// Lane r: the sum over groups `groups` of a run's 4-byte dot products for row r
    /// (`quants`: transposed as `storeTransposed` leaves them; `activation`: the run's 32
    /// activation bytes).
    @inline(__always)
    static func runSums(_ quants: UnsafeRawPointer, _ activation: UnsafeRawPointer, groups: Range<Int>) -> Int32s {
        #if SWIFTLET_AVX512
        var sums = _mm512_setzero_si512()
        for g in groups {
            let a = _mm512_set1_epi32(activation.loadUnaligned(fromByteOffset: 4 * g, as: Int32.self))
            sums = _mm512_dpbusd_epi32(sums, (quants + 64 * g).loadUnaligned(as: __m512i.self), a)
        }
        #else
        var sums = _mm256_setzero_si256()
        for g in groups {
            let a = _mm256_set1_epi32(activation.loadUnaligned(fromByteOffset: 4 * g, as: Int32.self))
            sums = X86Lanes.quadSums(sums, X86SuperBlocks.load(quants + 32 * g), a)
        }
        #endif
        return unsafeBitCast(sums, to: Int32s.self)
    }

    @inline(__always)
    static func float(_ v: Int32s) -> Floats {
        #if SWIFTLET_AVX512
        _mm512_cvtepi32_ps(unsafeBitCast(v, to: __m512i.self))
        #else
        _mm256_cvtepi32_ps(unsafeBitCast(v, to: __m256i.self))
        #endif
    }
}

extension Q4_K {
    /// The transposed tiles' rows where llama.cpp's matrix kernel takes part of the batch.
    public static func tileRows(tokens: Int) -> Int { batchKernelTokens(of: tokens) > 0 ? X86SuperBlockTiles.rows : 4 }

    // One super-block of the tile's rows (a group):
    //   quants [8 runs × 8 groups × rows × 4] bytes
    //   scales, mins [8 runs × rows] Int32
    //   d, dmin  [rows] Float
    public static func multiplyBatch(_ p: RowTile) {
        typealias Tiles = X86SuperBlockTiles
        let rows = Tiles.rows
        let (quants, scales) = (0, 256 * rows)
        let (mins, d) = (scales + 32 * rows, scales + 64 * rows)
        let (dmin, groupBytes) = (d + 4 * rows, d + 8 * rows)
        Tiles.multiply(Self.self, p, groupBytes: groupBytes, unpack: { row, group in
            for j in 0..<8 {
                Tiles.storeTransposed({ X86SuperBlocks.q4KRun(row($0) + 16, j) }, into: group + quants + 32 * rows * j)
            }
            for r in 0..<rows {
                let (rowScales, rowMins) = unpackScalesAndMins(row(r) + 4)
                for j in 0..<8 {
                    group.storeBytes(of: rowScales[j], toByteOffset: scales + 4 * (rows * j + r), as: Int32.self)
                    group.storeBytes(of: rowMins[j], toByteOffset: mins + 4 * (rows * j + r), as: Int32.self)
                }
                group.storeBytes(of: row(r).loadHalf(at: 0), toByteOffset: d + 4 * r, as: Float.self)
                group.storeBytes(of: row(r).loadHalf(at: 2), toByteOffset: dmin + 4 * r, as: Float.self)
            }
        }, product: { groups, activation in
            var sum = Tiles.Floats(), minimums = Tiles.Floats()
            for block in 0..<p.blocks {
                let group = groups + block * groupBytes, a = activation + block * Q8_K.blockBytes
                let aq = Q8_K.quants(a)
                let da = Q8_K.scale(a)
                let scale = group.loadUnaligned(fromByteOffset: d, as: Tiles.Floats.self) * da
                let minimumScale = group.loadUnaligned(fromByteOffset: dmin, as: Tiles.Floats.self) * da
                // Per run of 32, scale · Σ q·qa and mins · (Σ of the run's activations).
                @inline(__always) func run(_ j: Int) -> (scaled: Tiles.Int32s, mins: Tiles.Int32s) {
                    let sums = Tiles.runSums(group + quants + 32 * rows * j, aq + 32 * j, groups: 0..<8)
                    let activationSum = Q8_K.blockSum(a, 2 * j) &+ Q8_K.blockSum(a, 2 * j + 1)
                    return (sums &* group.loadUnaligned(fromByteOffset: scales + 4 * rows * j, as: Tiles.Int32s.self),
                            group.loadUnaligned(fromByteOffset: mins + 4 * rows * j, as: Tiles.Int32s.self) &* activationSum)
                }
                for quarter in 0..<4 {
                    let (low, high) = (run(2 * quarter), run(2 * quarter + 1))
                    sum = sum.addingProduct(Tiles.float(low.scaled &+ high.scaled), scale)
                    minimums = minimums.addingProduct(Tiles.float(low.mins &+ high.mins), minimumScale)
                }
            }
            return sum - minimums
        })
    }
}

extension Q6_K {
    /// The transposed tiles' rows where llama.cpp's matrix kernel takes part of the batch.
    public static func tileRows(tokens: Int) -> Int { batchKernelTokens(of: tokens) > 0 ? X86SuperBlockTiles.rows : 4 }

    // One super-block of the tile's rows (a group):
    //   quants [8 runs × 8 groups × rows × 4] bytes (unsigned, 0–63)
    //   scales [16 sub-blocks × rows] Int32
    //   d      [rows] Float
    public static func multiplyBatch(_ p: RowTile) {
        typealias Tiles = X86SuperBlockTiles
        let rows = Tiles.rows
        let (quants, scales) = (0, 256 * rows)
        let (d, groupBytes) = (scales + 64 * rows, scales + 68 * rows)
        Tiles.multiply(Self.self, p, groupBytes: groupBytes, unpack: { row, group in
            for m in 0..<8 {
                Tiles.storeTransposed({ X86SuperBlocks.q6KRun(row($0), m) }, into: group + quants + 32 * rows * m)
            }
            for r in 0..<rows {
                for k in 0..<16 {
                    group.storeBytes(of: Int32(row(r).load(fromByteOffset: 192 + k, as: Int8.self)), toByteOffset: scales + 4 * (rows * k + r), as: Int32.self)
                }
                group.storeBytes(of: row(r).loadHalf(at: 208), toByteOffset: d + 4 * r, as: Float.self)
            }
        }, product: { groups, activation in
            var sum = Tiles.Floats()
            for block in 0..<p.blocks {
                let group = groups + block * groupBytes, a = activation + block * Q8_K.blockBytes
                let aq = Q8_K.quants(a)
                // Σ over the 16 sub-blocks of scale · Σ (q − 32)·qa, per row: sub-block k is
                // half k % 2 of run k / 2.
                var total = Tiles.Int32s()
                for k in 0..<16 {
                    let (m, half) = k.quotientAndRemainder(dividingBy: 2)
                    let sums = Tiles.runSums(group + quants + 32 * rows * m, aq + 32 * m, groups: (4 * half)..<(4 * half + 4))
                    let centred = sums &- 32 &* Q8_K.blockSum(a, k)
                    total &+= centred &* group.loadUnaligned(fromByteOffset: scales + 4 * rows * k, as: Tiles.Int32s.self)
                }
                let rowScale = group.loadUnaligned(fromByteOffset: d, as: Tiles.Floats.self)
                sum = sum.addingProduct(Tiles.float(total) * rowScale, Tiles.Floats(repeating: Q8_K.scale(a)))
            }
            return sum
        })
    }
}
#endif
