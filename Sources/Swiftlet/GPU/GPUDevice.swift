import CWebGPU
import Foundation

/// Why the GPU backend cannot run, or stopped.
public enum GPUError: Error, CustomStringConvertible, Equatable {
    /// No webgpu.h library where Swiftlet looks (scripts/fetch-wgpu puts one there).
    case libraryMissing(String)
    /// The library loaded but offers no adapter or device.
    case noAdapter(String)
    /// The model does not fit the adapter (a buffer past its limits, out of memory).
    case modelTooLarge(String)
    /// A kernel failed to compile, a buffer could not be made, or the device was lost.
    case failed(String)

    public var description: String {
        switch self {
        case let .libraryMissing(message), let .noAdapter(message), let .modelTooLarge(message), let .failed(message): message
        }
    }
}

/// The adapter a GPU backend runs on, as benchmarks and `/v1/models` name it.
public struct GPUAdapterInfo: Sendable, Codable, Equatable {
    public let name: String
    public let backend: String
    public let type: String
    public let maxStorageBufferBindingSize: UInt64
    public let maxBufferSize: UInt64
    public let shaderF16: Bool
    public let subgroups: Bool

    public var summary: String { "\(name) (\(backend), \(type))" }
}

/// One WebGPU device through `swiftlet_webgpu.h`. Not thread-safe: a model's inference
/// thread is its only user.
final class GPUDevice {
    let handle: OpaquePointer
    let adapter: GPUAdapterInfo
    let maxStorageBuffersPerStage: Int

    /// Where the library is looked for: $SWIFTLET_WGPU_LIBRARY, else where
    /// scripts/fetch-wgpu puts it.
    static var libraryPath: String {
        if let path = ProcessInfo.processInfo.environment["SWIFTLET_WGPU_LIBRARY"], !path.isEmpty { return path }
        let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        return cache + "/swiftlet/wgpu/libwgpu_native.so"
    }

    init() throws(GPUError) {
        let path = Self.libraryPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw .libraryMissing("no WebGPU library at \(path): run scripts/fetch-wgpu, or set SWIFTLET_WGPU_LIBRARY")
        }
        // Vulkan loaders warn without a runtime folder; any writable one does.
        if ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"] == nil { setenv("XDG_RUNTIME_DIR", NSTemporaryDirectory(), 0) }
        var message = [CChar](repeating: 0, count: 1024)
        guard let handle = slgpu_open(path, &message, message.count) else {
            let text = String(cString: message)
            throw text.hasPrefix("cannot open") ? .libraryMissing(text) : .noAdapter(text)
        }
        self.handle = handle
        var info = SLGPUInfo()
        slgpu_info(handle, &info)
        func text<T>(_ tuple: inout T) -> String {
            withUnsafeBytes(of: &tuple) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        }
        adapter = GPUAdapterInfo(
            name: text(&info.adapter), backend: text(&info.backend), type: text(&info.adapterType),
            maxStorageBufferBindingSize: info.maxStorageBufferBindingSize, maxBufferSize: info.maxBufferSize,
            shaderF16: info.shaderF16 != 0, subgroups: info.subgroups != 0)
        maxStorageBuffersPerStage = Int(info.maxStorageBuffersPerShaderStage)
    }

    deinit { slgpu_close(handle) }

    /// Runs `body` with a message buffer, turning a failure into `error(message)`.
    private func attempt<T>(_ error: (String) -> GPUError, _ body: (UnsafeMutablePointer<CChar>, Int) -> T?) throws(GPUError) -> T {
        var message = [CChar](repeating: 0, count: 2048)
        if let result = message.withUnsafeMutableBufferPointer({ body($0.baseAddress!, $0.count) }) { return result }
        throw error(String(cString: message))
    }

    func buffer(bytes: Int, kind: SLBufferKind, label: String) throws(GPUError) -> GPUBuffer {
        let pointer = try attempt({ message in
            message.contains("OutOfMemory") || message.contains("greater than the maximum") || message.contains("memory")
                ? .modelTooLarge(message) : .failed(message)
        }) { message, size in slgpu_buffer(handle, UInt64(max(bytes, 4)), kind, label, message, size) }
        return GPUBuffer(device: self, pointer: pointer, bytes: max(bytes, 4))
    }

    func write(_ buffer: GPUBuffer, offset: Int = 0, _ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        slgpu_write(handle, buffer.pointer, UInt64(offset), bytes.baseAddress, UInt64(bytes.count))
    }

    func write<T>(_ buffer: GPUBuffer, offset: Int = 0, _ values: [T]) {
        values.withUnsafeBytes { write(buffer, offset: offset, $0) }
    }

    func pipeline(source: String, label: String) throws(GPUError) -> UnsafeMutableRawPointer {
        var source = source
        return try attempt({ .failed($0) }) { message, size in
            source.withUTF8 { code in
                code.withMemoryRebound(to: CChar.self) { slgpu_pipeline(handle, $0.baseAddress, $0.count, label, message, size) }
            }
        }
    }

    /// A bind group of `buffers` at bindings 0, 1, …: (buffer, byte offset, byte count).
    func bindGroup(_ pipeline: UnsafeMutableRawPointer, _ buffers: [(GPUBuffer, Int, Int)]) throws(GPUError) -> UnsafeMutableRawPointer {
        let pointers: [UnsafeMutableRawPointer?] = buffers.map { $0.0.pointer }
        let offsets = buffers.map { UInt64($0.1) }, sizes = buffers.map { UInt64($0.2) }
        return try attempt({ .failed($0) }) { message, size in
            slgpu_bind_group(handle, pipeline, pointers, offsets, sizes, UInt32(buffers.count), message, size)
        }
    }

    func dispatch(_ pipeline: UnsafeMutableRawPointer, _ group: UnsafeMutableRawPointer, _ x: Int, _ y: Int, _ z: Int) {
        slgpu_dispatch(handle, pipeline, group, UInt32(x), UInt32(y), UInt32(z))
    }

    /// Submits what was recorded, without waiting.
    func submit() { slgpu_submit(handle) }

    /// Submits what was recorded and waits; with `copy`, reads `count` bytes of `source`
    /// from `offset` into `out` through `readback`.
    func finish(copy source: GPUBuffer? = nil, offset: Int = 0, count: Int = 0, through readback: GPUBuffer? = nil,
                into out: UnsafeMutableRawPointer? = nil) throws(GPUError) {
        _ = try attempt({ .failed($0) }) { message, size in
            slgpu_finish(handle, source?.pointer, UInt64(offset), readback?.pointer, UInt64(count), out, message, size) != 0 ? true : nil
        }
    }
}

/// A device buffer, released with its last reference.
final class GPUBuffer {
    let device: GPUDevice
    let pointer: UnsafeMutableRawPointer
    let bytes: Int

    init(device: GPUDevice, pointer: UnsafeMutableRawPointer, bytes: Int) {
        self.device = device
        self.pointer = pointer
        self.bytes = bytes
    }

    deinit { slgpu_release_buffer(device.handle, pointer) }
}
