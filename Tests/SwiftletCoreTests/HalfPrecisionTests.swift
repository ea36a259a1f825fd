import SwiftletCore
import Testing

/// The bit-level half/bfloat16 conversions against the platform's own Float16, which the
/// x86-64 and arm64 toolchains provide (wasm, where the core also runs, is why they exist).
@Suite struct HalfPrecisionTests {
    #if !(os(macOS) && arch(x86_64))
    @Test func everyHalfConvertsExactly() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = HalfPrecision.float(fromHalf: bits)
            if expected.isNaN {
                #expect(actual.isNaN)
            } else {
                #expect(actual.bitPattern == expected.bitPattern, "half 0x\(String(bits, radix: 16))")
            }
        }
    }

    @Test func floatToHalfRoundsToNearestEven() {
        var generator = SystemRandomNumberGenerator()
        var samples: [Float] = [0, -0, 1, -1, 65504, 65519, 65520, -65520, 1e-8, 6e-8, 3e-8, 2.98e-8,
                                .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
        // Exact ties between two halves, and both neighbours of every half boundary.
        for bits in stride(from: UInt16(0), to: 0x7c00, by: 7) {
            let low = Float(Float16(bitPattern: bits)), high = Float(Float16(bitPattern: bits + 1))
            let tie = (low + high) / 2
            samples += [tie, tie.nextUp, tie.nextDown, -tie]
        }
        for _ in 0..<100_000 { samples.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))) }
        for value in samples {
            let expected = Float16(value)
            let actual = HalfPrecision.half(fromFloat: value)
            if expected.isNaN {
                #expect(Float16(bitPattern: actual).isNaN)
            } else {
                #expect(actual == expected.bitPattern, "\(value) (0x\(String(value.bitPattern, radix: 16)))")
            }
        }
    }
    #endif

    @Test func bfloat16RoundsToNearestEven() {
        #expect(HalfPrecision.bfloat16(fromFloat: 1) == 0x3f80)
        #expect(HalfPrecision.bfloat16(fromFloat: Float(bitPattern: 0x3f80_8000)) == 0x3f80)  // tie → even
        #expect(HalfPrecision.bfloat16(fromFloat: Float(bitPattern: 0x3f81_8000)) == 0x3f82)  // tie → even
        #expect(HalfPrecision.bfloat16(fromFloat: Float(bitPattern: 0x3f80_8001)) == 0x3f81)
        #expect(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(fromFloat: .nan)).isNaN)
        #expect(HalfPrecision.float(fromBFloat16: 0xc040) == -3)
    }
}
