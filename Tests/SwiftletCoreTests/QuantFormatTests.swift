import SwiftletCore
import Testing

/// Every tensor format against the `gguf` package: dequantization must be bit-identical,
/// since it is the oracle the fast dot products are measured against.
@Suite struct QuantFormatTests {
    @Test(arguments: QuantFixture.all)
    func dequantizationIsBitIdenticalToGGUF(_ fixture: QuantFixture) throws {
        let kernels = try #require(RowKernels(fixture.type), "no kernels for \(fixture.type.name)")
        #expect(fixture.rowBytes == fixture.type.byteCount(values: fixture.columns))
        var mismatches = 0
        var firstMismatch = ""
        fixture.blocks.withUnsafeBytes { blocks in
            var row = [Float](repeating: .nan, count: fixture.columns)
            for r in 0..<fixture.rows {
                kernels.dequantizeRow(blocks.baseAddress! + r * fixture.rowBytes, &row, fixture.columns)
                for c in 0..<fixture.columns {
                    let expected = fixture.values[r * fixture.columns + c]
                    if row[c].bitPattern != expected.bitPattern {
                        if mismatches == 0 { firstMismatch = "row \(r) col \(c): \(row[c]) != \(expected)" }
                        mismatches += 1
                    }
                }
            }
        }
        #expect(mismatches == 0, "\(fixture.type.name) (\(fixture.source)): \(mismatches) values differ, first \(firstMismatch)")
    }

    @Test func fixturesCoverEveryComputableType() {
        let covered = Set(QuantFixture.all.map(\.type))
        let computable: [TensorType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
        #expect(computable.allSatisfy { covered.contains($0) && $0.isComputable })
        #expect(!TensorType.iq2_xxs.isComputable)
    }

    /// Activations are quantized as llama.cpp does at run time on x86 (multiplier 127/max,
    /// ties to even): bit-identical to that, emulated in numpy by scripts/make-fixtures.
    @Test func activationQuantizationIsBitIdenticalToLlamaCppRuntime() {
        let values = QuantFixture.activation
        var q8_0 = [UInt8](repeating: 0, count: values.count / 32 * Q8_0.blockBytes)
        Q8_0.quantizeRow(values, into: &q8_0, count: values.count)
        #expect(q8_0 == QuantFixture.bytes("activation.Q8_0.runtime.bin"))
        var q8_1 = [UInt8](repeating: 0, count: values.count / 32 * Q8_1.blockBytes)
        Q8_1.quantizeRow(values, into: &q8_1, count: values.count)
        #expect(q8_1 == QuantFixture.bytes("activation.Q8_1.runtime.bin"))
    }

    /// Q8_K maps the value of largest magnitude to −127; where +max and −max tie, the
    /// reference takes the first, the 4-row quantizer of llama.cpp's repacked Q4_K kernels
    /// the positive one.
    @Test func q8KTiesFollowTheQuantizerOfEachKernel() {
        var values = [Float](repeating: 0.25, count: 256)
        values[3] = -2
        values[9] = 2
        var reference = [UInt8](repeating: 0, count: Q8_K.blockBytes)
        var grouped = reference
        Q8_K.quantize(values, into: &reference)
        Q4_K.quantizeBatchActivation(values, into: &grouped)
        let scale = { (bytes: [UInt8]) in bytes.withUnsafeBytes { $0.loadUnaligned(as: Float.self) } }
        #expect(scale(reference) == Float(2) / 127)
        #expect(scale(grouped) == Float(-2) / 127)
        #expect(Int8(bitPattern: reference[4 + 3]) == -127 && Int8(bitPattern: grouped[4 + 9]) == -127)
    }

    /// The run-time rounding (vectorized natively) against its definition, on ties, both
    /// signs, the extremes and a NaN: multiplier 127/max = 1 here, so x.5 values are ties.
    @Test func activationRoundingIsHalfToEvenWithNaNAsZero() {
        var values: [Float] = [127, -126.5, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.49, -3.51, 126.5, .nan, 0, -0.0, 64.5, -64.5]
        values += (0..<16).map { Float($0) * 7.25 - 60 }
        var block = [UInt8](repeating: 0, count: Q8_0.blockBytes)
        Q8_0.quantize(values, into: &block)
        for (i, value) in values.enumerated() {
            let expected: Int8 = value.isNaN ? 0 : Int8(max(-128, min(127, value.rounded(.toNearestOrEven))))
            #expect(Int8(bitPattern: block[2 + i]) == expected, "\(value)")
        }
        // A block so small that 127/max overflows: every value saturates, zeros become 0.
        let tiny: [Float] = (0..<32).map { Float($0 % 3) * (Float.leastNormalMagnitude / 64) * ($0 % 2 == 0 ? 1 : -1) }
        Q8_0.quantize(tiny, into: &block)
        for (i, value) in tiny.enumerated() {
            #expect(Int8(bitPattern: block[2 + i]) == (value == 0 ? 0 : value > 0 ? 127 : -128), "\(value)")
        }
    }

    /// gguf's (and ggml's reference) Q8_0 quantizer, used for model files, multiplies by
    /// 1/d and rounds half away from zero: the same scales, quants at most one step apart.
    @Test func activationQuantizationDiffersFromTheFileQuantizerByAtMostOneStep() {
        let values = QuantFixture.activation
        var ours = [UInt8](repeating: 0, count: values.count / 32 * Q8_0.blockBytes)
        Q8_0.quantizeRow(values, into: &ours, count: values.count)
        let reference = QuantFixture.activationQ8_0
        var differing = 0
        for block in 0..<(values.count / 32) {
            let base = block * Q8_0.blockBytes
            #expect(ours[base..<(base + 2)] == reference[base..<(base + 2)])
            for i in (base + 2)..<(base + Q8_0.blockBytes) {
                let step = abs(Int(Int8(bitPattern: ours[i])) - Int(Int8(bitPattern: reference[i])))
                #expect(step <= 1)
                differing += step
            }
        }
        #expect(differing < values.count / 100)
    }

    /// Q8_1 and Q8_K have no quantizer in `gguf`; check the properties ggml's reference
    /// gives them instead: each value within half a step, the extreme value exact at ±127,
    /// and the stored sums equal to the sums of the stored quants.
    @Test func q8_1AndQ8_KQuantizeWithinHalfAStep() {
        let values = QuantFixture.activation
        for (format, blockLength, blockBytes) in [("Q8_1", 32, Q8_1.blockBytes), ("Q8_K", 256, Q8_K.blockBytes)] {
            var quantized = [UInt8](repeating: 0, count: values.count / blockLength * blockBytes)
            var restored = [Float](repeating: 0, count: values.count)
            if format == "Q8_1" {
                Q8_1.quantizeRow(values, into: &quantized, count: values.count)
                Q8_1.dequantizeRow(quantized, into: &restored, count: values.count)
            } else {
                Q8_K.quantizeRow(values, into: &quantized, count: values.count)
                Q8_K.dequantizeRow(quantized, into: &restored, count: values.count)
            }
            for block in 0..<(values.count / blockLength) {
                let range = (block * blockLength)..<((block + 1) * blockLength)
                let maxMagnitude = range.map { abs(values[$0]) }.max()!
                let step = maxMagnitude / 127
                for i in range {
                    // f16 rounding of Q8_1's scale adds up to 2^-11 relative error per value.
                    #expect(abs(restored[i] - values[i]) <= step * 0.5 + abs(values[i]) * 0.001, "\(format) value \(i)")
                }
                let q = quantized[(block * blockBytes)...]
                let qs = format == "Q8_1" ? Array(q.dropFirst(4).prefix(32)) : Array(q.dropFirst(4).prefix(256))
                #expect(qs.map { Int8(bitPattern: $0) }.contains { abs(Int($0)) == 127 })
                if format == "Q8_K" {
                    for j in 0..<16 {
                        let sum = qs[(16 * j)..<(16 * j + 16)].reduce(0) { $0 + Int(Int8(bitPattern: $1)) }
                        let offset = block * blockBytes + 260 + 2 * j
                        let stored = Int16(bitPattern: UInt16(quantized[offset]) | UInt16(quantized[offset + 1]) << 8)
                        #expect(Int(stored) == sum)
                    }
                }
            }
        }
    }
}
