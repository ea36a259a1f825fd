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

    @Test func q8_0ActivationQuantizationIsBitIdenticalToGGUF() {
        let values = QuantFixture.activation
        var quantized = [UInt8](repeating: 0, count: values.count / 32 * Q8_0.blockBytes)
        Q8_0.quantizeRow(values, into: &quantized, count: values.count)
        #expect(quantized == QuantFixture.activationQ8_0)
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
