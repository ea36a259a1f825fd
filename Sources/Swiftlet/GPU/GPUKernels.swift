import Foundation
import CWebGPU
import SwiftletCore

/// A compiled kernel of `wgsl/` and the dispatch constants its source declares.
final class GPUKernel {
    let device: GPUDevice
    let pipeline: UnsafeMutableRawPointer
    /// `const NAME: u32 = N;` lines (ROWS_PER_WORKGROUP, WORKGROUP_SIZE, …).
    let constants: [String: Int]
    let name: String

    init(device: GPUDevice, name: String, source: String) throws(GPUError) {
        self.device = device
        self.name = name
        pipeline = try device.pipeline(source: source, label: name)
        var constants: [String: Int] = [:]
        for line in source.split(separator: "\n") where line.hasPrefix("const ") {
            let parts = line.dropFirst(6).split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].contains(": u32") else { continue }
            let key = parts[0].split(separator: ":")[0].trimmingCharacters(in: .whitespaces)
            let digits = parts[1].prefix { $0 != ";" }.filter(\.isNumber)
            if let value = Int(digits) { constants[key] = value }
        }
        self.constants = constants
    }

    deinit { slgpu_release_pipeline(device.handle, pipeline) }

    func constant(_ key: String) throws(GPUError) -> Int {
        guard let value = constants[key] else { throw .failed("the WGSL kernel \(name) declares no \(key)") }
        return value
    }
}

/// The kernels of `wgsl/` (embedded at build time by the EmbedWGSL plugin), composed as
/// wgsl/README.md says and compiled once per device. `SWIFTLET_WGSL_DIR` names a folder to
/// read them from instead: for trying a kernel's variants on a machine without a toolchain.
final class GPUKernels {
    let device: GPUDevice
    private var compiled: [String: GPUKernel] = [:]
    private static let folder = ProcessInfo.processInfo.environment["SWIFTLET_WGSL_DIR"]

    init(device: GPUDevice) { self.device = device }

    private static func file(_ path: String) -> String? {
        guard let folder else { return WGSLSources.files[path] }
        return try? String(contentsOfFile: folder + "/" + path, encoding: .utf8)
    }

    /// Where a product's rows go: `outputs/one.wgsl` or `outputs/split.wgsl`.
    enum Output: String {
        case one, split
    }

    /// `name` alone, or a format kernel for weights of `format`; a product (matvec, matmul)
    /// with its `output`.
    func kernel(_ name: String, format: TensorType? = nil, output: Output? = nil) throws(GPUError) -> GPUKernel {
        let formatName = format.map { $0.name.lowercased() }
        let key = [name, formatName, output?.rawValue].compactMap { $0 }.joined(separator: ":")
        if let kernel = compiled[key] { return kernel }
        var parts: [String] = []
        if let formatName {
            guard let bytes = Self.file("formats/bytes.wgsl"), let format = Self.file("formats/\(formatName).wgsl") else {
                throw .failed("no WGSL kernels for \(formatName.uppercased()) weights")
            }
            parts += [bytes, format]
        }
        if let output {
            guard let file = Self.file("outputs/\(output.rawValue).wgsl") else { throw .failed("no WGSL output \(output)") }
            parts.append(file)
        }
        guard let body = Self.file(name + ".wgsl") else { throw .failed("no WGSL kernel \(name)") }
        parts.append(body)
        let kernel = try GPUKernel(device: device, name: key, source: parts.joined(separator: "\n"))
        compiled[key] = kernel
        return kernel
    }

    /// Whether `format` has kernels (else the model cannot run on the GPU).
    static func supports(_ format: TensorType) -> Bool {
        WGSLSources.files["formats/\(format.name.lowercased()).wgsl"] != nil
    }
}
