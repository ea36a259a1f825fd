#if arch(x86_64) && SWIFTLET_AVX2
import _Builtin_intrinsics.intel

/// Decode's k-quant products (`dot4`): 4 rows against one activation in one pass, each
/// activation block loaded once for the 4 rows, the rows 16 ahead prefetched as
/// `IntegerDot.blockDot4` does for the 32-value formats. The integer sums are exact, so
/// however they are formed they are the one-row kernel's integers; the float steps after
/// them are each row's one-row steps, in its order, the 4 rows in the lanes of one vector.
///
/// With AVX-512 the quants of a row are read 64 bytes at a time, which hold two runs of 32
/// values (the low nibbles of a Q4_K half are its runs 2c and 2c + 2, the high ones 2c + 1
/// and 2c + 3); the activation is paired to match once per super-block for all 4 rows.
/// Per run, unsigned quants × activation bytes in pairs (vpmaddubsw) times the run's scale,
/// summed into 32-bit lanes (vpdpwssd); the lanes of the 4 rows are reduced together.
enum X86SuperBlockRows {
    /// Prefetches, for step `block` of a 4-row pass, 4 blocks' worth of the bytes 16 rows
    /// ahead: by its end the pass has requested rows 16 … 19 after its first.
    @inline(__always)
    static func prefetchAhead(_ weights: UnsafeRawPointer, rowBytes: Int, block: Int, blockBytes: Int) {
        let ahead = weights + 16 * rowBytes + 4 * block * blockBytes
        for line in stride(from: 0, to: 4 * blockBytes, by: 64) { prefetch(ahead + line) }
    }

    @inline(__always)
    static func load128(_ p: UnsafeRawPointer) -> __m128i { p.loadUnaligned(as: __m128i.self) }

    @inline(__always)
    static func load256(_ p: UnsafeRawPointer) -> __m256i { p.loadUnaligned(as: __m256i.self) }

    /// The 4 rows' f16 pairs at `offset` (Q4_K's d and dmin) as floats: [d0, dmin0, d1, dmin1, …].
    @inline(__always)
    static func halfPairs(_ w: UnsafeRawPointer, rowBytes: Int, at offset: Int) -> __m256 {
        func word(_ r: Int) -> Int32 { (w + r * rowBytes).loadUnaligned(fromByteOffset: offset, as: Int32.self) }
        return _mm256_cvtph_ps(_mm_set_epi32(word(3), word(2), word(1), word(0)))
    }

    /// The 4 rows' f16 values at `offset` (Q6_K's d) as floats.
    @inline(__always)
    static func halves(_ w: UnsafeRawPointer, rowBytes: Int, at offset: Int) -> __m128 {
        func half(_ r: Int) -> Int16 { (w + r * rowBytes).loadUnaligned(fromByteOffset: offset, as: Int16.self) }
        return _mm_cvtph_ps(_mm_set_epi16(0, 0, 0, 0, half(3), half(2), half(1), half(0)))
    }
}

#if SWIFTLET_AVX512
extension X86SuperBlockRows {
    @inline(__always)
    static func load512(_ p: UnsafeRawPointer) -> __m512i { p.loadUnaligned(as: __m512i.self) }

    @inline(__always)
    static func int64s(_ v: SIMD8<Int64>) -> __m512i { unsafeBitCast(v, to: __m512i.self) }

    @inline(__always)
    static func int32s(_ v: SIMD16<Int32>) -> __m512i { unsafeBitCast(v, to: __m512i.self) }

    /// 32 words: `low` in the lower 256 bits, `high` in the upper.
    @inline(__always)
    static func words(_ low: Int16, _ high: Int16) -> __m512i {
        unsafeBitCast(SIMD32<Int16>(lowHalf: .init(repeating: low), highHalf: .init(repeating: high)), to: __m512i.self)
    }

    /// The 4 words of each 128-bit lane: lane i takes `words[i]`.
    @inline(__always)
    static func laneWords(_ w: SIMD4<Int16>) -> __m512i {
        unsafeBitCast(SIMD32<Int16>(
            lowHalf: SIMD16(lowHalf: .init(repeating: w[0]), highHalf: .init(repeating: w[1])),
            highHalf: SIMD16(lowHalf: .init(repeating: w[2]), highHalf: .init(repeating: w[3]))), to: __m512i.self)
    }

    /// `low` and `high` as one 512-bit vector.
    @inline(__always)
    static func join(_ low: __m256i, _ high: __m256i) -> __m512i {
        _mm512_permutex2var_epi64(_mm512_castsi256_si512(low), int64s(SIMD8(0, 1, 2, 3, 8, 9, 10, 11)), _mm512_castsi256_si512(high))
    }

    /// Lanes 0–7 of `a` + lanes 8–15 of `a`, then the same of `b`: [a folded | b folded].
    @inline(__always)
    static func foldHalves(_ a: __m512i, _ b: __m512i) -> __m512i {
        _mm512_add_epi32(
            _mm512_permutex2var_epi64(a, int64s(SIMD8(0, 1, 2, 3, 8, 9, 10, 11)), b),
            _mm512_permutex2var_epi64(a, int64s(SIMD8(4, 5, 6, 7, 12, 13, 14, 15)), b))
    }

    /// 128-bit lane r of the result: the 4 lanes of `v[r]` folded from 16 (lane k + k+4 + k+8 + k+12).
    @inline(__always)
    static func foldQuarters(_ v0: __m512i, _ v1: __m512i, _ v2: __m512i, _ v3: __m512i) -> __m512i {
        foldPairs(foldPairs(v0, v1), foldPairs(v2, v3))
    }

    /// 128-bit lanes [a0 + a1, a2 + a3, b0 + b1, b2 + b3] of a and b.
    @inline(__always)
    static func foldPairs(_ a: __m512i, _ b: __m512i) -> __m512i {
        let even = int64s(SIMD8(0, 1, 4, 5, 8, 9, 12, 13)), odd = int64s(SIMD8(2, 3, 6, 7, 10, 11, 14, 15))
        return _mm512_add_epi32(_mm512_permutex2var_epi64(a, even, b), _mm512_permutex2var_epi64(a, odd, b))
    }

    // MARK: Q4_K

    /// Q4_K, the super-blocks at `w`, `w + rowBytes`, … of 4 rows against the Q8_K block `a`:
    /// [S0, M0, S1, M1, S2, M2, S3, M3], S = Σ_j scales[j] · Σ q·qa over run j, M =
    /// Σ_j mins[j] · (bsums[2j] + bsums[2j + 1]): the integers of X86SuperBlocks.q4KScaledSums
    /// and q4KMinimums, summed.
    /// With `fifthBits`, Q5_K: the quants at offset 48 with their fifth bits from offset 16.
    @inline(__always)
    static func q4KTotals(_ w: UnsafeRawPointer, rowBytes: Int, _ a: UnsafeRawPointer, fifthBits: Bool = false) -> __m256i {
        let aq = Q8_K.quants(a)
        // Runs (j, j + 2) of the activation, as a 64-byte half of the quants holds them.
        let (first, second) = (int64s(SIMD8(0, 1, 2, 3, 8, 9, 10, 11)), int64s(SIMD8(4, 5, 6, 7, 12, 13, 14, 15)))
        let (x0, x1, x2, x3) = (load512(aq), load512(aq + 64), load512(aq + 128), load512(aq + 192))
        let a02 = _mm512_permutex2var_epi64(x0, first, x1), a13 = _mm512_permutex2var_epi64(x0, second, x1)
        let a46 = _mm512_permutex2var_epi64(x2, first, x3), a57 = _mm512_permutex2var_epi64(x2, second, x3)

        let scalesAndMins = q4KScalesAndMins(w, rowBytes: rowBytes)
        let nibble = _mm512_set1_epi8(0x0f)
        // Word j of each 128-bit lane: byte j (a scale), zero-extended; lanes 2, 3 take j + 2.
        let select = { (j: Int16) in words(j | -0x8000, (j + 2) | -0x8000) }
        func rowSums(_ r: Int) -> __m512i {
            let row = w + r * rowBytes, qs = row + (fifthBits ? 48 : 16)
            let own = _mm512_permutexvar_epi64(int64s(SIMD8(repeating: Int64(2 * r)) &+ SIMD8(0, 1, 0, 1, 0, 1, 0, 1)), scalesAndMins)
            let (z0, z1) = (load512(qs), load512(qs + 64))
            // Q5_K: bit m of qh[l] is the fifth bit of value l of run m; for runs (j, j + 2)
            // it moves to bit 4 by a shift of 4 − m words (left) or m − 4 (right).
            let qh = fifthBits ? _mm512_broadcast_i64x4(load256(row + 16)) : _mm512_setzero_si512()
            func quants(_ nibbles: __m512i, _ j: Int16) -> __m512i {
                guard fifthBits else { return nibbles }
                let bits = j < 4 ? _mm512_sllv_epi16(qh, words(4 - j, 2 - j)) : _mm512_srlv_epi16(qh, words(j - 4, j - 2))
                return _mm512_or_si512(nibbles, _mm512_and_si512(bits, _mm512_set1_epi8(0x10)))
            }
            func run(_ acc: __m512i, _ nibbles: __m512i, _ activation: __m512i, _ j: Int16) -> __m512i {
                _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(quants(nibbles, j), activation), _mm512_shuffle_epi8(own, select(j)))
            }
            var acc = run(_mm512_setzero_si512(), _mm512_and_si512(z0, nibble), a02, 0)
            acc = run(acc, _mm512_and_si512(_mm512_srli_epi16(z0, 4), nibble), a13, 1)
            acc = run(acc, _mm512_and_si512(z1, nibble), a46, 4)
            return run(acc, _mm512_and_si512(_mm512_srli_epi16(z1, 4), nibble), a57, 5)
        }
        let scaled = foldQuarters(rowSums(0), rowSums(1), rowSums(2), rowSums(3))
        // Per row, mins[j] · (bsums[2j] + bsums[2j + 1]) in 4 lanes of 2.
        let pairSums = _mm_hadd_epi16(load128(a + 260), load128(a + 276))
        let minWords = unsafeBitCast(SIMD16<UInt8>(8, 0x80, 9, 0x80, 10, 0x80, 11, 0x80, 12, 0x80, 13, 0x80, 14, 0x80, 15, 0x80), to: __m128i.self)
        let minimums = _mm512_madd_epi16(_mm512_shuffle_epi8(scalesAndMins, _mm512_broadcast_i32x4(minWords)), _mm512_broadcast_i32x4(pairSums))
        return interleaved(scaled, minimums)
    }

    /// [S0, M0, S1, M1, S2, M2, S3, M3] from 128-bit lane r of `scaled` and of `minimums`
    /// (4 partial sums each of row r).
    @inline(__always)
    static func interleaved(_ scaled: __m512i, _ minimums: __m512i) -> __m256i {
        // Lane r: [S, M, S, M] of row r; then the first two of each lane.
        let mixed = _mm512_add_epi32(_mm512_unpacklo_epi32(scaled, minimums), _mm512_unpackhi_epi32(scaled, minimums))
        let totals = _mm512_add_epi32(mixed, _mm512_unpackhi_epi64(mixed, mixed))
        return _mm512_castsi512_si256(_mm512_permutexvar_epi64(int64s(SIMD8(0, 2, 4, 6, 0, 2, 4, 6)), totals))
    }

    /// The activation runs of 32 as the two halves of 64 bytes of Q2_K/Q3_K quants hold
    /// them: run j and run 4 + j (bits 2j of quant bytes l and 32 + l).
    @inline(__always)
    static func crumbActivations(_ a: UnsafeRawPointer) -> (__m512i, __m512i, __m512i, __m512i) {
        let aq = Q8_K.quants(a)
        let (first, second) = (int64s(SIMD8(0, 1, 2, 3, 8, 9, 10, 11)), int64s(SIMD8(4, 5, 6, 7, 12, 13, 14, 15)))
        let (x0, x1, x2, x3) = (load512(aq), load512(aq + 64), load512(aq + 128), load512(aq + 192))
        return (_mm512_permutex2var_epi64(x0, first, x2), _mm512_permutex2var_epi64(x0, second, x2),
                _mm512_permutex2var_epi64(x1, first, x3), _mm512_permutex2var_epi64(x1, second, x3))
    }

    /// Run pair j's scales (`scales`: 16 words, one per sub-block of 16): sub-blocks 2j,
    /// 2j + 1, 8 + 2j, 9 + 2j in the four 128-bit lanes.
    @inline(__always)
    static func crumbScales(_ scales: __m512i, _ j: Int) -> __m512i {
        let s = Int16(2 * j)
        return _mm512_permutexvar_epi16(laneWords(SIMD4(s, s + 1, s + 8, s + 9)), scales)
    }

    // MARK: Q2_K, Q3_K

    /// Q2_K, 4 rows against the Q8_K block `a`: [S0, M0, …] as q4KTotals, S = Σ_s scales[s] ·
    /// Σ q·qa over sub-block s, M = Σ_s mins[s] · bsums[s].
    @inline(__always)
    static func q2KTotals(_ w: UnsafeRawPointer, rowBytes: Int, _ a: UnsafeRawPointer) -> __m256i {
        let activations = crumbActivations(a)
        let sums = _mm512_broadcast_i64x4(load256(a + 260))
        let crumb = _mm512_set1_epi8(3)
        func row(_ r: Int) -> (scaled: __m512i, mins: __m256i) {
            let row = w + r * rowBytes
            let packed = _mm256_cvtepu8_epi16(load128(row))
            let scales = _mm512_castsi256_si512(_mm256_and_si256(packed, _mm256_set1_epi16(0x0f)))
            let z = load512(row + 16)
            func run(_ acc: __m512i, _ j: Int, _ activation: __m512i) -> __m512i {
                let q = _mm512_and_si512(_mm512_srli_epi16(z, UInt32(2 * j)), crumb)
                return _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(q, activation), crumbScales(scales, j))
            }
            var acc = run(_mm512_setzero_si512(), 0, activations.0)
            acc = run(acc, 1, activations.1)
            acc = run(acc, 2, activations.2)
            return (run(acc, 3, activations.3), _mm256_srli_epi16(packed, 4))
        }
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
        let minimums = foldPairs(
            _mm512_madd_epi16(join(r0.mins, r1.mins), sums), _mm512_madd_epi16(join(r2.mins, r3.mins), sums))
        return interleaved(foldQuarters(r0.scaled, r1.scaled, r2.scaled, r3.scaled), minimums)
    }

    /// Q3_K, 4 rows against the Q8_K block `a`: [S0, 0, S1, 0, …], S = Σ_s scales[s] · Σ q·qa
    /// over sub-block s (q = u − 4, u = the low bits + 4 where the high bit is set).
    @inline(__always)
    static func q3KTotals(_ w: UnsafeRawPointer, rowBytes: Int, _ a: UnsafeRawPointer) -> __m256i {
        let activations = crumbActivations(a)
        // −4 · bsums in the lower half: the −4 of each q, times its sub-block's scale.
        let bsums = load256(a + 260)
        let offsets = _mm512_zextsi256_si512(_mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(bsums, 2)))
        let crumb = _mm512_set1_epi8(3), four = _mm512_set1_epi8(4)
        func row(_ r: Int) -> __m512i {
            let row = w + r * rowBytes
            let scales = _mm512_castsi256_si512(q3KScales(row))
            let high = _mm512_broadcast_i64x4(load256(row)), z = load512(row + 32)
            func run(_ acc: __m512i, _ j: Int, _ activation: __m512i) -> __m512i {
                let low = _mm512_and_si512(_mm512_srli_epi16(z, UInt32(2 * j)), crumb)
                // Bit j of the high-bit bytes for values 32j + l, bit 4 + j for 128 + 32j + l.
                let bit = unsafeBitCast(SIMD64<UInt8>(
                    lowHalf: .init(repeating: UInt8(1 << j)), highHalf: .init(repeating: UInt8(16 << j))), to: __m512i.self)
                let u = _mm512_mask_add_epi8(low, _mm512_test_epi8_mask(high, bit), low, four)
                return _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(u, activation), crumbScales(scales, j))
            }
            var acc = run(_mm512_setzero_si512(), 0, activations.0)
            acc = run(acc, 1, activations.1)
            acc = run(acc, 2, activations.2)
            acc = run(acc, 3, activations.3)
            return _mm512_dpwssd_epi32(acc, offsets, scales)
        }
        return interleaved(foldQuarters(row(0), row(1), row(2), row(3)), _mm512_setzero_si512())
    }

    /// Q3_K's 16 scales as words (−32 … 31), unscrambled as Q3_K.unpack does: per 32-bit
    /// word of the 12 bytes at offset 96, a0 a1 a0 a1 and a2 shifted 0, 2, 4, 6.
    @inline(__always)
    static func q3KScales(_ block: UnsafeRawPointer) -> __m256i {
        // Bytes 94 ..< 110 (the block ends there), so a0 starts at byte 2.
        let raw = load128(block + 94)
        let x = _mm_shuffle_epi8(raw, unsafeBitCast(SIMD16<UInt8>(2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5, 6, 7, 8, 9), to: __m128i.self))
        let y = _mm_shuffle_epi8(raw, unsafeBitCast(SIMD16<UInt8>(10, 11, 12, 13, 10, 11, 12, 13, 10, 11, 12, 13, 10, 11, 12, 13), to: __m128i.self))
        let low = _mm_and_si128(_mm_srlv_epi32(x, unsafeBitCast(SIMD4<Int32>(0, 0, 4, 4), to: __m128i.self)), _mm_set1_epi8(0x0f))
        let high = _mm_slli_epi32(
            _mm_and_si128(_mm_srlv_epi32(y, unsafeBitCast(SIMD4<Int32>(0, 2, 4, 6), to: __m128i.self)), _mm_set1_epi8(3)), 4)
        return _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_or_si128(low, high)), _mm256_set1_epi16(32))
    }

    /// SuperBlockFormat.dot's float steps for 4 rows, per super-block (`pairs`: the rows'
    /// [d, dmin] as floats; `totals`: [S, M] per row as q4KTotals gives them):
    /// sum += da·d·S − da·dmin·M.
    @inline(__always)
    static func superBlockDot4(
        _ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int, blockBytes: Int,
        pairs: (_ w: UnsafeRawPointer) -> __m256, totals: (_ w: UnsafeRawPointer, _ a: UnsafeRawPointer) -> __m256i
    ) -> SIMD4<Float> {
        var sum = SIMD4<Float>()
        for b in 0..<blocks {
            let w = weights + b * blockBytes, a = activation + b * Q8_K.blockBytes
            prefetchAhead(weights, rowBytes: rowBytes, block: b, blockBytes: blockBytes)
            // [da·d · S, da·dmin · M] of each row
            let terms = unsafeBitCast(
                _mm256_mul_ps(_mm256_mul_ps(pairs(w), _mm256_set1_ps(Q8_K.scale(a))), _mm256_cvtepi32_ps(totals(w, a))),
                to: SIMD8<Float>.self)
            sum += terms.evenHalf - terms.oddHalf
        }
        return sum
    }

    /// 128-bit lane r: row r's 8 scales (bytes 0–7) and 8 minimums (bytes 8–15), unpacked
    /// from the 12 bytes at offset 4 as unpackScalesAndMins does.
    @inline(__always)
    static func q4KScalesAndMins(_ w: UnsafeRawPointer, rowBytes: Int) -> __m512i {
        func packed(_ r: Int) -> __m128i { load128(w + r * rowBytes + 4) }
        let g = join(_mm256_set_m128i(packed(1), packed(0)), _mm256_set_m128i(packed(3), packed(2)))
        // Per lane, of its words w0, w1, w2: [w0, w2, w1, w2] and [w0, w0, w1, w1].
        let x = _mm512_permutexvar_epi32(int32s(SIMD16(0, 2, 1, 2, 4, 6, 5, 6, 8, 10, 9, 10, 12, 14, 13, 14)), g)
        let y = _mm512_permutexvar_epi32(int32s(SIMD16(0, 0, 1, 1, 4, 4, 5, 5, 8, 8, 9, 9, 12, 12, 13, 13)), g)
        let (six, four, two): (Int32, Int32, Int32) = (0x3f3f_3f3f, 0x0f0f_0f0f, 0x3030_3030)
        let low = _mm512_and_si512(
            _mm512_srlv_epi32(x, int32s(SIMD16(0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4))),
            int32s(SIMD16(six, four, six, four, six, four, six, four, six, four, six, four, six, four, six, four)))
        // ((w >> 6) & 0x03…) << 4 is (w >> 2) & 0x30…
        let high = _mm512_and_si512(
            _mm512_srli_epi32(y, 2), int32s(SIMD16(0, two, 0, two, 0, two, 0, two, 0, two, 0, two, 0, two, 0, two)))
        return _mm512_or_si512(low, high)
    }

    // MARK: Q6_K

    /// Q6_K, row `w` against the Q8_K block `a`: 16 lanes whose lane k + lane k + 8 is
    /// lane k of X86SuperBlocks.q6KLanes before its offsets (the runs of each 64-byte half of
    /// the low bits in the two 256-bit halves).
    @inline(__always)
    static func q6KRowSums(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer) -> __m512i {
        let aq = Q8_K.quants(a)
        let scales = _mm512_castsi256_si512(_mm256_cvtepi8_epi16(load128(w + 192)))
        let (nibble, top) = (_mm512_set1_epi8(0x0f), _mm512_set1_epi8(0x30))
        var acc = _mm512_setzero_si512()
        for h in 0..<2 {
            let low = load512(w + 64 * h), high = _mm512_broadcast_i64x4(load256(w + 128 + 32 * h))
            // Runs 4h, 4h + 1: low nibbles, top bits 0–1 and 2–3; runs 4h + 2, 4h + 3: high
            // nibbles, top bits 4–5 and 6–7.
            let first = _mm512_or_si512(_mm512_and_si512(low, nibble), _mm512_and_si512(_mm512_sllv_epi16(high, words(4, 2)), top))
            let second = _mm512_or_si512(
                _mm512_and_si512(_mm512_srli_epi16(low, 4), nibble), _mm512_and_si512(_mm512_srlv_epi16(high, words(0, 2)), top))
            // Lane i of the 128-bit lanes takes scale 8h + i (first) or 8h + 4 + i (second).
            let base = Int16(8 * h)
            acc = _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(first, load512(aq + 128 * h)),
                                      _mm512_permutexvar_epi16(laneWords(SIMD4(base, base + 1, base + 2, base + 3)), scales))
            acc = _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(second, load512(aq + 128 * h + 64)),
                                      _mm512_permutexvar_epi16(laneWords(SIMD4(base + 4, base + 5, base + 6, base + 7)), scales))
        }
        return acc
    }

    /// Q6_K's lanes (X86SuperBlocks.q6KLanes) of rows `w` and `v` in the two 256-bit halves.
    @inline(__always)
    static func q6KLanes(_ w: UnsafeRawPointer, _ v: UnsafeRawPointer, _ a: UnsafeRawPointer) -> __m512i {
        let sums = foldHalves(q6KRowSums(w, a), q6KRowSums(v, a))
        let scales = join(_mm256_cvtepi8_epi16(load128(w + 192)), _mm256_cvtepi8_epi16(load128(v + 192)))
        let offsets = _mm512_madd_epi16(_mm512_broadcast_i64x4(load256(a + 260)), scales)
        return _mm512_sub_epi32(sums, _mm512_slli_epi32(offsets, 5))
    }
}
#endif

extension Q4_K {
    /// `dot` for 4 rows in one pass (X86SuperBlockRows): per row, per super-block, the same
    /// two fused multiply-adds of the same integers, in the lanes of one vector.
    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        typealias Rows = X86SuperBlockRows
        #if SWIFTLET_AVX512
        // [sum0, minimums0, sum1, minimums1, …]
        var acc = _mm256_setzero_ps()
        for b in 0..<blocks {
            let w = weights + b * blockBytes, a = activation + b * Q8_K.blockBytes
            Rows.prefetchAhead(weights, rowBytes: rowBytes, block: b, blockBytes: blockBytes)
            let totals = Rows.q4KTotals(w, rowBytes: rowBytes, a)
            let scales = _mm256_mul_ps(Rows.halfPairs(w, rowBytes: rowBytes, at: 0), _mm256_set1_ps(Q8_K.scale(a)))
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(totals), scales, acc)
        }
        let lanes = unsafeBitCast(acc, to: SIMD8<Float>.self)
        return lanes.evenHalf - lanes.oddHalf
        #else
        var sum = SIMD4<Float>(), minimums = SIMD4<Float>()
        for b in 0..<blocks {
            let w = weights + b * blockBytes, a = activation + b * Q8_K.blockBytes
            Rows.prefetchAhead(weights, rowBytes: rowBytes, block: b, blockBytes: blockBytes)
            let aq = Q8_K.quants(a), da = Q8_K.scale(a)
            var scaled = SIMD4<Int32>(), mins = SIMD4<Int32>(), d = SIMD4<Float>(), dmin = SIMD4<Float>()
            for r in 0..<4 {
                let row = w + r * rowBytes
                let (rowScales, rowMins) = unpackScalesAndMins(row + 4)
                scaled[r] = X86SuperBlocks.q4KScaledSums(row + 16, aq, scales: rowScales).wrappedSum()
                mins[r] = X86SuperBlocks.q4KMinimums(a, mins: rowMins).wrappedSum()
                (d[r], dmin[r]) = (row.loadHalf(at: 0), row.loadHalf(at: 2))
            }
            sum = sum.addingProduct(SIMD4<Float>(scaled), d * da)
            minimums = minimums.addingProduct(SIMD4<Float>(mins), dmin * da)
        }
        return sum - minimums
        #endif
    }
}

#if SWIFTLET_AVX512
// The formats whose one-row kernel is SuperBlockFormat.dot: 4 rows per pass with its float
// steps per row (X86SuperBlockRows.superBlockDot4).

extension Q2_K {
    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        typealias Rows = X86SuperBlockRows
        return Rows.superBlockDot4(
            weights, rowBytes: rowBytes, activation, blocks: blocks, blockBytes: blockBytes,
            pairs: { Rows.halfPairs($0, rowBytes: rowBytes, at: 80) }, totals: { Rows.q2KTotals($0, rowBytes: rowBytes, $1) })
    }
}

extension Q3_K {
    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        typealias Rows = X86SuperBlockRows
        // [d, 0] per row: dmin is 0.
        func pairs(_ w: UnsafeRawPointer) -> __m256 {
            func half(_ r: Int) -> Int16 { (w + r * rowBytes).loadUnaligned(fromByteOffset: 108, as: Int16.self) }
            return _mm256_cvtph_ps(_mm_set_epi16(0, half(3), 0, half(2), 0, half(1), 0, half(0)))
        }
        return Rows.superBlockDot4(
            weights, rowBytes: rowBytes, activation, blocks: blocks, blockBytes: blockBytes,
            pairs: pairs, totals: { Rows.q3KTotals($0, rowBytes: rowBytes, $1) })
    }
}

extension Q5_K {
    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        typealias Rows = X86SuperBlockRows
        return Rows.superBlockDot4(
            weights, rowBytes: rowBytes, activation, blocks: blocks, blockBytes: blockBytes,
            pairs: { Rows.halfPairs($0, rowBytes: rowBytes, at: 0) },
            totals: { Rows.q4KTotals($0, rowBytes: rowBytes, $1, fifthBits: true) })
    }
}
#endif

extension Q6_K {
    /// `dot` for 4 rows in one pass (X86SuperBlockRows): per row, the same 8 lanes fused
    /// with the same scale per super-block and summed in the same order at the end.
    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        typealias Rows = X86SuperBlockRows
        #if SWIFTLET_AVX512
        // Rows 0 and 1, rows 2 and 3: 8 lanes each.
        var acc01 = _mm512_setzero_ps(), acc23 = _mm512_setzero_ps()
        for b in 0..<blocks {
            let w = weights + b * blockBytes, a = activation + b * Q8_K.blockBytes
            Rows.prefetchAhead(weights, rowBytes: rowBytes, block: b, blockBytes: blockBytes)
            let scales = _mm512_castps128_ps512(_mm_mul_ps(Rows.halves(w, rowBytes: rowBytes, at: 208), _mm_set1_ps(Q8_K.scale(a))))
            let lanes01 = Rows.q6KLanes(w, w + rowBytes, a), lanes23 = Rows.q6KLanes(w + 2 * rowBytes, w + 3 * rowBytes, a)
            let spread01 = _mm512_permutexvar_ps(Rows.int32s(SIMD16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)), scales)
            let spread23 = _mm512_permutexvar_ps(Rows.int32s(SIMD16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)), scales)
            acc01 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(lanes01), spread01, acc01)
            acc23 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(lanes23), spread23, acc23)
        }
        let (rows01, rows23) = (unsafeBitCast(acc01, to: SIMD16<Float>.self), unsafeBitCast(acc23, to: SIMD16<Float>.self))
        return SIMD4(
            IntegerDot.horizontalSum(rows01.lowHalf), IntegerDot.horizontalSum(rows01.highHalf),
            IntegerDot.horizontalSum(rows23.lowHalf), IntegerDot.horizontalSum(rows23.highHalf))
        #else
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        for b in 0..<blocks {
            let w = weights + b * blockBytes, a = activation + b * Q8_K.blockBytes
            Rows.prefetchAhead(weights, rowBytes: rowBytes, block: b, blockBytes: blockBytes)
            let da = Q8_K.scale(a)
            func lanes(_ r: Int) -> SIMD8<Float> { X86SuperBlocks.float(X86SuperBlocks.q6KLanes(w + r * rowBytes, a)) }
            func scale(_ r: Int) -> Float { da * (w + r * rowBytes).loadHalf(at: 208) }
            acc0 = IntegerDot.accumulate(acc0, scale(0), lanes(0))
            acc1 = IntegerDot.accumulate(acc1, scale(1), lanes(1))
            acc2 = IntegerDot.accumulate(acc2, scale(2), lanes(2))
            acc3 = IntegerDot.accumulate(acc3, scale(3), lanes(3))
        }
        return SIMD4(IntegerDot.horizontalSum(acc0), IntegerDot.horizontalSum(acc1),
                     IntegerDot.horizontalSum(acc2), IntegerDot.horizontalSum(acc3))
        #endif
    }
}
#endif
