/// The instructions the kernels were compiled for, which decides whose arithmetic they
/// reproduce bit for bit: llama.cpp's x86 build with AVX-512 (the machine its committed
/// references come from) or with AVX2 only, or neither (portable Swift SIMD, SIMD128 in
/// WebAssembly). The fidelity tests pick their tier by it; `bench` reports it.
public enum InstructionSet: Sendable {
    case avx512, avx2, relaxedSIMD128, simd128, portable

    public static let compiled: InstructionSet = {
        #if SWIFTLET_AVX512
        .avx512
        #elseif SWIFTLET_AVX2
        .avx2
        #elseif arch(wasm32) && SWIFTLET_RELAXED_SIMD
        .relaxedSIMD128
        #elseif arch(wasm32)
        .simd128
        #else
        .portable
        #endif
    }()

    public var name: String {
        switch self {
        case .avx512: "avx512"
        case .avx2: "avx2"
        case .relaxedSIMD128: "relaxed-simd128"
        case .simd128: "simd128"
        case .portable: "portable"
        }
    }
}
