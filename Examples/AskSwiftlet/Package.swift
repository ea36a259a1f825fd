// swift-tools-version: 6.2
import Foundation
import PackageDescription

// An app that depends on Swiftlet the way any app would: by a released version. The URL
// defaults to the checkout this example sits in (tag it first, e.g. `git tag 1.0.0`);
// SWIFTLET_PACKAGE_URL points it elsewhere (CI points it at a tagged clone).
let checkout = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent()
let swiftletURL = URL(string: Context.environment["SWIFTLET_PACKAGE_URL"] ?? checkout.absoluteString)!
// SwiftPM names a package by the last component of its URL (a GitHub repository's name).
let swiftletIdentity = swiftletURL.deletingPathExtension().lastPathComponent.lowercased()

let package = Package(
    name: "AskSwiftlet",
    dependencies: [
        .package(url: swiftletURL.absoluteString, from: "1.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "AskSwiftlet",
            dependencies: [.product(name: "Swiftlet", package: swiftletIdentity)]),
    ]
)
