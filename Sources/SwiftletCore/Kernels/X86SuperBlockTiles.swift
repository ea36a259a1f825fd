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

    /// Tokens whose products share each load of a tile's quants: a pass.
    static var tokensPerPass: Int { PerToken<Void>.count }

    /// A value for each token of a pass, in registers: `PerToken { i in … }` and `forEach`
    /// spell the 4 tokens out, so that every index is a constant once inlined.
    struct PerToken<Value> {
        static var count: Int { 4 }
        var values: (Value, Value, Value, Value)

        @inline(__always)
        init(_ value: (_ token: Int) -> Value) { values = (value(0), value(1), value(2), value(3)) }

        @inline(__always)
        subscript(_ token: Int) -> Value {
            switch token {
            case 0: values.0
            case 1: values.1
            case 2: values.2
            default: values.3
            }
        }

        @inline(__always)
        static func forEach(_ body: (_ token: Int) -> Void) { body(0); body(1); body(2); body(3) }
    }

    /// A pass's activation blocks of one super-block.
    typealias TokenBlocks = PerToken<UnsafeRawPointer>

    /// Unpacks each super-block of the tile's rows in turn with `unpack(row, group)` (`row(r)`:
    /// row r's super-block) into `groupBytes`, then has `accumulate(group, activations, sums)`
    /// add it into the `accumulators` running sums of a pass of `tokensPerPass` tokens, pass
    /// after pass (each load of the rows' quants serves the pass; `activations[i]`: token i's
    /// block, `sums`: [tokensPerPass × accumulators]). A token's sums take the super-blocks in
    /// order, as `batchDot`'s do, while the one group being read stays in L1 for all the
    /// tokens; `result(sums)` gives the rows' results. Tiles of other sizes take `batchDot`
    /// row by row.
    @inline(__always)
    static func multiply<Format: WeightFormat>(
        _ format: Format.Type, _ p: RowTile, groupBytes: Int, accumulators: Int,
        unpack: (_ row: (Int) -> UnsafeRawPointer, _ group: UnsafeMutableRawPointer) -> Void,
        accumulate: (
            _ group: UnsafeRawPointer, _ activations: TokenBlocks, _ sums: UnsafeMutablePointer<Floats>
        ) -> Void,
        result: (_ sums: UnsafePointer<Floats>) -> Floats
    ) {
        guard p.rows == rows, !p.tokens.isEmpty, p.blocks > 0 else { return Format.multiplyBatchByRows(p) }
        // Sums for whole passes: a last pass short of tokens repeats its last token.
        let passes = (p.tokens.count + tokensPerPass - 1) / tokensPerPass
        let sumsOffset = (groupBytes + 63) & ~63, sumCount = passes * tokensPerPass * accumulators
        // [group: groupBytes, padded to 64] [sums: passes × tokensPerPass × accumulators Floats]
        withScratch(byteCount: sumsOffset + sumCount * MemoryLayout<Floats>.stride) { scratch in
            let sums = (scratch + sumsOffset).bindMemory(to: Floats.self, capacity: sumCount)
            sums.initialize(repeating: Floats(), count: sumCount)
            let nextTile = p.weights + rows * p.rowBytes
            let prefetchShare = (rows * p.rowBytes / p.blocks + 63) & ~63
            let linesPerToken = (prefetchShare / 64 + p.tokens.count - 1) / p.tokens.count
            for block in 0..<p.blocks {
                func superBlock(_ row: Int) -> UnsafeRawPointer { p.weights + row * p.rowBytes + block * Format.blockBytes }
                unpack(superBlock, scratch)
                let share = nextTile + block * prefetchShare
                for pass in 0..<passes {
                    let t = pass * tokensPerPass, tokens = min(tokensPerPass, p.tokens.count - t)
                    // The next tile's rows (the pool hands a thread consecutive tiles) into L2, a
                    // share per super-block spread over its tokens, so that unpacking seldom
                    // waits on memory: the hardware does not follow `rows` short streams a row
                    // apart, and a burst of prefetches would stall on the cache's miss buffers.
                    for line in stride(from: t * linesPerToken, to: min((t + tokens) * linesPerToken, prefetchShare / 64), by: 1) {
                        prefetchToL2(share + 64 * line)
                    }
                    // And the next super-block of this tile's rows into L1, a few rows a pass.
                    if block + 1 < p.blocks {
                        for row in stride(from: pass, to: rows, by: passes) {
                            let next = superBlock(row) + Format.blockBytes
                            for line in stride(from: 0, to: Format.blockBytes, by: 64) { prefetch(next + line) }
                            prefetch(next + Format.blockBytes - 1)
                        }
                    }
                    let activations = TokenBlocks { i in
                        p.activations + (p.tokens.lowerBound + t + min(i, tokens - 1)) * p.activationRowBytes
                            + block * Format.Activation.blockBytes
                    }
                    accumulate(UnsafeRawPointer(scratch), activations, sums + t * accumulators)
                }
            }
            for (t, b) in p.tokens.enumerated() {
                UnsafeMutableRawPointer(p.y + b * p.outputStride).storeBytes(of: result(sums + t * accumulators), as: Floats.self)
            }
        }
    }

    /// Stores 8 32-bit values of each row (`row(r)`) transposed into `out`: [8 × rows × 4
    /// bytes], so vector g holds value g of every row. In registers: per 128-bit lane a
    /// 4 × 4 transpose of 32-bit values by unpacking, then the lanes gathered.
    @inline(__always)
    static func storeTransposed(_ row: (_ row: Int) -> __m256i, into out: UnsafeMutableRawPointer) {
        #if SWIFTLET_AVX512
        // Vector r: row r in its low half, row r + 8 in its high half.
        func pair(_ r: Int) -> __m512i {
            unsafeBitCast(SIMD16<Int32>(lowHalf: unsafeBitCast(row(r), to: SIMD8<Int32>.self),
                                        highHalf: unsafeBitCast(row(r + 8), to: SIMD8<Int32>.self)), to: __m512i.self)
        }
        func quads(_ r: Int) -> (__m512i, __m512i, __m512i, __m512i) {
            let (a, b, c, d) = (pair(r), pair(r + 1), pair(r + 2), pair(r + 3))
            let (ab0, ab1) = (_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b))
            let (cd0, cd1) = (_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d))
            // Quad k, 128-bit lane L: value 4L' + k of rows r ..< r + 4 (L' = L mod 2; lanes 2, 3
            // the rows 8 on).
            return (_mm512_unpacklo_epi64(ab0, cd0), _mm512_unpackhi_epi64(ab0, cd0),
                    _mm512_unpacklo_epi64(ab1, cd1), _mm512_unpackhi_epi64(ab1, cd1))
        }
        let (low, high) = (quads(0), quads(4))
        let first = unsafeBitCast(SIMD8<Int64>(0, 1, 8, 9, 4, 5, 12, 13), to: __m512i.self)
        let second = unsafeBitCast(SIMD8<Int64>(2, 3, 10, 11, 6, 7, 14, 15), to: __m512i.self)
        func store(_ k: Int, _ a: __m512i, _ b: __m512i) {
            (out + 64 * k).storeBytes(of: _mm512_permutex2var_epi64(a, first, b), as: __m512i.self)
            (out + 64 * (k + 4)).storeBytes(of: _mm512_permutex2var_epi64(a, second, b), as: __m512i.self)
        }
        store(0, low.0, high.0)
        store(1, low.1, high.1)
        store(2, low.2, high.2)
        store(3, low.3, high.3)
        #else
        func quads(_ r: Int) -> (SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>) {
            let (a, b, c, d) = (row(r), row(r + 1), row(r + 2), row(r + 3))
            let (ab0, ab1) = (_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b))
            let (cd0, cd1) = (_mm256_unpacklo_epi32(c, d), _mm256_unpackhi_epi32(c, d))
            func ints(_ v: __m256i) -> SIMD8<Int32> { unsafeBitCast(v, to: SIMD8<Int32>.self) }
            // Quad k, 128-bit lane L: value 4L + k of rows r ..< r + 4.
            return (ints(_mm256_unpacklo_epi64(ab0, cd0)), ints(_mm256_unpackhi_epi64(ab0, cd0)),
                    ints(_mm256_unpacklo_epi64(ab1, cd1)), ints(_mm256_unpackhi_epi64(ab1, cd1)))
        }
        let (low, high) = (quads(0), quads(4))
        func store(_ k: Int, _ a: SIMD8<Int32>, _ b: SIMD8<Int32>) {
            (out + 32 * k).storeBytes(of: SIMD8(lowHalf: a.lowHalf, highHalf: b.lowHalf), as: SIMD8<Int32>.self)
            (out + 32 * (k + 4)).storeBytes(of: SIMD8(lowHalf: a.highHalf, highHalf: b.highHalf), as: SIMD8<Int32>.self)
        }
        store(0, low.0, high.0)
        store(1, low.1, high.1)
        store(2, low.2, high.2)
        store(3, low.3, high.3)
        #endif
    }

    /// Lane r of token i's: the sum over groups `groups` of run `run`'s 4-byte dot products
    /// for row r (`quants`: the run transposed as `storeTransposed` leaves it). Each vector of
    /// quants is loaded once for the pass's tokens.
    @inline(__always)
    static func runSums(_ quants: UnsafeRawPointer, _ activations: TokenBlocks, run: Int, groups: Range<Int>) -> PerToken<Int32s> {
        func activation(_ i: Int, _ g: Int) -> Int32 {
            Q8_K.quants(activations[i]).loadUnaligned(fromByteOffset: 32 * run + 4 * g, as: Int32.self)
        }
        #if SWIFTLET_AVX512
        var sums = PerToken { _ in _mm512_setzero_si512() }
        for g in groups {
            let q = (quants + 64 * g).loadUnaligned(as: __m512i.self)
            sums = PerToken { i in _mm512_dpbusd_epi32(sums[i], q, _mm512_set1_epi32(activation(i, g))) }
        }
        #else
        var sums = PerToken { _ in _mm256_setzero_si256() }
        for g in groups {
            let q = X86SuperBlocks.load(quants + 32 * g)
            sums = PerToken { i in X86Lanes.quadSums(sums[i], q, _mm256_set1_epi32(activation(i, g))) }
        }
        #endif
        return PerToken { i in unsafeBitCast(sums[i], to: Int32s.self) }
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
    // A token's sums: [sum, minimums] of `batchDot`, a row per lane.
    public static func multiplyBatch(_ p: RowTile) {
        typealias Tiles = X86SuperBlockTiles
        let rows = Tiles.rows
        let (quants, scales) = (0, 256 * rows)
        let (mins, d) = (scales + 32 * rows, scales + 64 * rows)
        let (dmin, groupBytes) = (d + 4 * rows, d + 8 * rows)
        Tiles.multiply(Self.self, p, groupBytes: groupBytes, accumulators: 2, unpack: { row, group in
            for j in 0..<8 {
                Tiles.storeTransposed({ X86SuperBlocks.q4KRun(row($0) + 16, j) }, into: group + quants + 32 * rows * j)
            }
            // Each row's scales and minimums unpacked once: [rows × (scales, mins)].
            withUnsafeTemporaryAllocation(of: (SIMD8<Int32>, SIMD8<Int32>).self, capacity: rows) { unpacked in
                for r in 0..<rows { unpacked[r] = unpackScalesAndMins(row(r) + 4) }
                Tiles.storeTransposed({ unsafeBitCast(unpacked[$0].0, to: __m256i.self) }, into: group + scales)
                Tiles.storeTransposed({ unsafeBitCast(unpacked[$0].1, to: __m256i.self) }, into: group + mins)
            }
            for r in 0..<rows {
                group.storeBytes(of: row(r).loadHalf(at: 0), toByteOffset: d + 4 * r, as: Float.self)
                group.storeBytes(of: row(r).loadHalf(at: 2), toByteOffset: dmin + 4 * r, as: Float.self)
            }
        }, accumulate: { group, activations, sums in
            // Per token, d·da and dmin·da.
            let scale = Tiles.PerToken { i in group.loadUnaligned(fromByteOffset: d, as: Tiles.Floats.self) * Q8_K.scale(activations[i]) }
            let minimumScale = Tiles.PerToken { i in
                group.loadUnaligned(fromByteOffset: dmin, as: Tiles.Floats.self) * Q8_K.scale(activations[i])
            }
            for quarter in 0..<4 {
                let (low, high) = (2 * quarter, 2 * quarter + 1)
                let lowProducts = Tiles.runSums(group + quants + 32 * rows * low, activations, run: low, groups: 0..<8)
                let highProducts = Tiles.runSums(group + quants + 32 * rows * high, activations, run: high, groups: 0..<8)
                func load(_ offset: Int, _ j: Int) -> Tiles.Int32s {
                    group.loadUnaligned(fromByteOffset: offset + 4 * rows * j, as: Tiles.Int32s.self)
                }
                let (lowScales, highScales) = (load(scales, low), load(scales, high))
                let (lowMins, highMins) = (load(mins, low), load(mins, high))
                Tiles.PerToken<Void>.forEach { i in
                    let a = activations[i]
                    // Per run of 32, scale · Σ q·qa and mins · (Σ of the run's activations).
                    let scaled = lowProducts[i] &* lowScales &+ highProducts[i] &* highScales
                    let minimums = lowMins &* (Q8_K.blockSum(a, 2 * low) &+ Q8_K.blockSum(a, 2 * low + 1))
                        &+ highMins &* (Q8_K.blockSum(a, 2 * high) &+ Q8_K.blockSum(a, 2 * high + 1))
                    sums[2 * i] = sums[2 * i].addingProduct(Tiles.float(scaled), scale[i])
                    sums[2 * i + 1] = sums[2 * i + 1].addingProduct(Tiles.float(minimums), minimumScale[i])
                }
            }
        }, result: { $0[0] - $0[1] })
    }
}

extension Q6_K {
    /// The transposed tiles' rows where llama.cpp's matrix kernel takes part of the batch.
    public static func tileRows(tokens: Int) -> Int { batchKernelTokens(of: tokens) > 0 ? X86SuperBlockTiles.rows : 4 }

    // One super-block of the tile's rows (a group):
    //   quants [8 runs × 8 groups × rows × 4] bytes (unsigned, 0–63)
    //   scales [16 sub-blocks × rows] Int32
    //   d      [rows] Float
    // A token's sums: `batchDot`'s sum, a row per lane.
    public static func multiplyBatch(_ p: RowTile) {
        typealias Tiles = X86SuperBlockTiles
        let rows = Tiles.rows
        let (quants, scales) = (0, 256 * rows)
        let (d, groupBytes) = (scales + 64 * rows, scales + 68 * rows)
        Tiles.multiply(Self.self, p, groupBytes: groupBytes, accumulators: 1, unpack: { row, group in
            for m in 0..<8 {
                Tiles.storeTransposed({ X86SuperBlocks.q6KRun(row($0), m) }, into: group + quants + 32 * rows * m)
            }
            for half in 0..<2 {
                Tiles.storeTransposed({ r in
                    let rowScales = row(r).loadUnaligned(fromByteOffset: 192 + 8 * half, as: Int64.self)
                    return _mm256_cvtepi8_epi32(unsafeBitCast(SIMD2<Int64>(rowScales, 0), to: __m128i.self))
                }, into: group + scales + 32 * rows * half)
            }
            for r in 0..<rows {
                group.storeBytes(of: row(r).loadHalf(at: 208), toByteOffset: d + 4 * r, as: Float.self)
            }
        }, accumulate: { group, activations, sums in
            // Per token, Σ over the 16 sub-blocks of scale · Σ (q − 32)·qa, per row: sub-block k
            // is half k % 2 of run k / 2.
            var totals = Tiles.PerToken { _ in Tiles.Int32s() }
            for k in 0..<16 {
                let (m, half) = k.quotientAndRemainder(dividingBy: 2)
                let products = Tiles.runSums(group + quants + 32 * rows * m, activations, run: m, groups: (4 * half)..<(4 * half + 4))
                let scale = group.loadUnaligned(fromByteOffset: scales + 4 * rows * k, as: Tiles.Int32s.self)
                totals = Tiles.PerToken { i in totals[i] &+ (products[i] &- 32 &* Q8_K.blockSum(activations[i], k)) &* scale }
            }
            let rowScale = group.loadUnaligned(fromByteOffset: d, as: Tiles.Floats.self)
            Tiles.PerToken<Void>.forEach { i in
                sums[i] = sums[i].addingProduct(Tiles.float(totals[i]) * rowScale, Tiles.Floats(repeating: Q8_K.scale(activations[i])))
            }
        }, result: { $0[0] })
    }
}
#endif
