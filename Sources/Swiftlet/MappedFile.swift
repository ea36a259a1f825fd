#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a model file could not be opened or read.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notARegularFile(path: String)
    case empty(path: String)
    case invalid(path: String, GGUFError)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "cannot open \(path): \(reason)"
        case let .notARegularFile(path): "\(path) is not a regular file"
        case let .empty(path): "\(path) is empty, not a GGUF model"
        case let .invalid(path, error): "\(path): \(error)"
        }
    }
}

import SwiftletCore

/// A file mapped read-only into memory: the weights are read straight from the page cache,
/// never copied, and pages the model does not touch are never loaded.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// The mapping; unmapped when the last thing parsed from it goes away.
    public let storage: ModelBytes
    public var bytes: UnsafeRawBufferPointer { storage.bytes }

    public init(path: String) throws(ModelFileError) {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, reason: Self.lastError()) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .cannotOpen(path: path, reason: Self.lastError()) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(path: path) }
        let size = Int(status.st_size)
        guard size > 0 else { throw .empty(path: path) }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: Self.lastError())
        }
        storage = ModelBytes(UnsafeRawBufferPointer(start: address, count: size)) { bytes in
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// A GGUF model file, mapped and parsed. Keeps the mapping alive as long as the parsed
/// views into it are in use.
public final class ModelFile: @unchecked Sendable {
    public let mapping: MappedFile
    public let gguf: GGUFFile

    public init(path: String) throws(ModelFileError) {
        mapping = try MappedFile(path: path)
        do {
            gguf = try GGUFFile(mapping.storage)
        } catch {
            throw .invalid(path: path, error)
        }
    }

    public var path: String { mapping.path }
    public var fileSize: Int { mapping.bytes.count }
}
