// swift-tools-version: 6.1
import PackageDescription

// SWIFTLET_EMBEDDED=1 builds the portable core alone under Embedded Swift, the way the
// WebAssembly build compiles it (scripts/build-wasm). Native shells are left out then.
let embedded = Context.environment["SWIFTLET_EMBEDDED"] == "1"

let coreSettings: [SwiftSetting] =
    [.enableUpcomingFeature("ExistentialAny")]
    + (embedded
        ? [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo", "-Xcc", "-msimd128"])]
        : [])

let core: [Target] = [
    .target(name: "SwiftletCore", swiftSettings: coreSettings),
]

let native: [Target] = [
    .target(
        name: "Swiftlet",
        dependencies: [
            "SwiftletCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
        ],
        swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
    .target(
        name: "SwiftletServer",
        dependencies: [
            "Swiftlet",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
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
        ? [.library(name: "SwiftletCore", targets: ["SwiftletCore"])]
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
        ],
    targets: embedded ? core : core + native
)
