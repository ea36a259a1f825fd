// swift-tools-version: 6.2
import Foundation
import PackageDescription

// SWIFTLET_EMBEDDED=1 builds the portable core alone under Embedded Swift, the way the
// WebAssembly build compiles it (scripts/build-wasm). Native shells are left out then.
let embedded = Context.environment["SWIFTLET_EMBEDDED"] == "1"
// SWIFTLET_WASM_RELAXED=1 (with SWIFTLET_EMBEDDED=1) builds the variant that accumulates
// with relaxed SIMD's fused multiply-add, for engines that have it (web/swiftlet.js picks).
let relaxedSIMD = embedded && Context.environment["SWIFTLET_WASM_RELAXED"] == "1"

// Native x86-64 builds target x86-64-v3 (AVX2, FMA, F16C): without it every fused
// multiply-add in the kernels is a call into libm, and Swift SIMD stays at SSE width.
// Where the building machine has AVX-VNNI (one instruction for the quantized kernels'
// 4-byte dot products), it is used too, as llama.cpp's native builds do: a package builds
// where it runs. SWIFTLET_PORTABLE=1 leaves it out, for binaries meant for other machines.
#if arch(x86_64)
let hostFlags = Context.environment["SWIFTLET_PORTABLE"] == "1"
    ? [] : Set(((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
let hostHasAVXVNNI = hostFlags.contains("avx_vnni")
let hostHasAVX512 = ["avx512f", "avx512bw", "avx512vl", "avx512_vnni"].allSatisfy(hostFlags.contains)
let nativeCPU: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"]), .define("SWIFTLET_AVX2"),
    // Builtin: software prefetch (Kernels/Prefetch.swift).
    .enableExperimentalFeature("BuiltinModule"),
] + (hostHasAVXVNNI ? [.unsafeFlags(["-Xcc", "-mavxvnni"]), .define("SWIFTLET_AVXVNNI")] : [])
  + (hostHasAVX512 ? [.unsafeFlags(["-Xcc", "-mavx512f", "-Xcc", "-mavx512bw", "-Xcc", "-mavx512vl", "-Xcc", "-mavx512vnni"]), .define("SWIFTLET_AVX512")] : [])
#else
let nativeCPU: [SwiftSetting] = []
#endif

let coreSettings: [SwiftSetting] =
    [.enableUpcomingFeature("ExistentialAny")]
    + (embedded
        ? [
            .enableExperimentalFeature("Embedded"),
            // Builtin: the SIMD128 instructions Swift's SIMD types do not reach (Kernels/WasmLanes.swift).
            .enableExperimentalFeature("BuiltinModule"),
            .unsafeFlags(["-wmo", "-Xcc", "-msimd128", "-Xfrontend", "-disable-stack-protector"]),
        ] + (relaxedSIMD ? [.unsafeFlags(["-Xcc", "-mrelaxed-simd"]), .define("SWIFTLET_RELAXED_SIMD")] : [])
        : nativeCPU)

let core: [Target] = [
    .target(name: "SwiftletCore", swiftSettings: coreSettings),
]

// The browser build (scripts/build-wasm): the core behind a C ABI, as a reactor module
// (no entry point; the exports are the `@_expose(wasm)` functions). There is no libc: the
// target brings its own allocator and the few C functions the compiled code calls, and
// `free` reaches it through --wrap because Swift reserves that name. The stack is 1 MiB,
// for the chat-template parser's recursion.
let wasm: [Target] = [
    .executableTarget(
        name: "SwiftletWasm",
        dependencies: ["SwiftletCore"],
        swiftSettings: coreSettings,
        linkerSettings: [
            .unsafeFlags([
                "-Xclang-linker", "-nostdlib", "-Xlinker", "--no-entry", "-Xlinker", "-z", "-Xlinker", "stack-size=1048576",
                "-Xlinker", "--wrap=free",
            ]),
            .linkedLibrary("swiftUnicodeDataTables"),
        ]),
]

let native: [Target] = [
    // webgpu.h behind a small synchronous C face, opened with dlopen at run time: the GPU
    // backend is optional, and nothing links against wgpu-native.
    .target(name: "CWebGPU", exclude: ["vendor/README.md"], linkerSettings: [.linkedLibrary("dl")]),
    // The kernels of wgsl/ compiled into the native shell as strings (Plugins/EmbedWGSL).
    .executableTarget(name: "WGSLEmbedder"),
    .plugin(name: "EmbedWGSL", capability: .buildTool(), dependencies: ["WGSLEmbedder"]),
    .target(
        name: "Swiftlet",
        dependencies: [
            "SwiftletCore",
            "CWebGPU",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
        ],
        swiftSettings: [.enableUpcomingFeature("ExistentialAny")] + nativeCPU,
        plugins: ["EmbedWGSL"]),
    .target(
        name: "SwiftletServer",
        dependencies: [
            "Swiftlet",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        resources: [.copy("Playground")],
        swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
    .executableTarget(
        name: "SwiftletCLI",
        dependencies: [
            "Swiftlet",
            "SwiftletServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    .testTarget(
        name: "SwiftletCoreTests",
        dependencies: ["SwiftletCore"],
        resources: [.copy("Fixtures")]),
    .testTarget(
        name: "SwiftletTests",
        dependencies: [
            "Swiftlet",
            "SwiftletServer",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        resources: [.copy("Fixtures")]),
]

let package = Package(
    name: "Swiftlet",
    products: embedded
        ? [
            .library(name: "SwiftletCore", targets: ["SwiftletCore"]),
            .executable(name: "SwiftletWasm", targets: ["SwiftletWasm"]),
        ]
        : [
            .library(name: "SwiftletCore", targets: ["SwiftletCore"]),
            .library(name: "Swiftlet", targets: ["Swiftlet"]),
            .library(name: "SwiftletServer", targets: ["SwiftletServer"]),
            .executable(name: "swiftlet", targets: ["SwiftletCLI"]),
        ],
    dependencies: embedded
        ? []
        : [
            .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
            .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
            .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
            .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
            .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
            .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
            .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        ],
    targets: embedded ? core + wasm : core + native
)
