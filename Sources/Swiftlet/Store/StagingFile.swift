import Crypto
import Foundation

/// A `.partial` file a download is written into, hashed as it grows (by one task at a
/// time). It becomes the model under its final name only by `commit(to:)`, an atomic
/// rename, after verification.
final class StagingFile: @unchecked Sendable {
    let path: String
    private let descriptor: Int32
    private var hasher = SHA256()
    private(set) var size: Int64 = 0

    /// Opens `path`, keeping (and hashing) what an earlier attempt left when `resume`.
    init(path: String, resume: Bool) throws(StoreError) {
        self.path = path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (resume ? 0 : O_TRUNC), 0o644)
        guard descriptor >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        if resume { try hashExistingBytes() }
    }

    deinit { close(descriptor) }

    private func hashExistingBytes() throws(StoreError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        lseek(descriptor, 0, SEEK_SET)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            hasher.update(data: buffer[..<count])
            size += Int64(count)
        }
    }

    /// Empties the file (the server sent the whole file instead of the rest).
    func restart() throws(StoreError) {
        guard ftruncate(descriptor, 0) == 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        lseek(descriptor, 0, SEEK_SET)
        hasher = SHA256()
        size = 0
    }

    func append(_ data: Data) throws(StoreError) {
        // Not `try data.withUnsafeBytes { try append($0) }`: a typed-throws closure there
        // crashes Swift 6.3's optimizer.
        var failure: StoreError?
        data.withUnsafeBytes { bytes in
            do throws(StoreError) { try append(bytes) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(StoreError) {
        hasher.update(bufferPointer: bytes)
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            guard written > 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
            offset += written
        }
        size += Int64(bytes.count)
    }

    /// Hex sha256 of everything written so far.
    var sha256: String { hexadecimal(hasher.finalize()) }

    /// Flushes to disk and renames into place (atomic on one file system).
    func commit(to finalPath: String) throws(StoreError) {
        guard fsync(descriptor) == 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        guard rename(path, finalPath) == 0 else { throw .io(path: finalPath, reason: String(cString: strerror(errno))) }
    }
}

/// An exclusive lock on a file (flock), so two processes pulling one model take turns.
final class FileLock {
    private let descriptor: Int32

    /// Waits (cancellably) until the lock at `path` is free.
    init(path: String) async throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StoreError.io(path: path, reason: String(cString: strerror(errno))) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            do { try await Task.sleep(for: .milliseconds(50)) } catch { close(descriptor); throw error }
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// Hex sha256 of a whole file, read in 4 MiB pieces.
func fileSHA256(_ path: String) throws(StoreError) -> String {
    guard let input = FileHandle(forReadingAtPath: path) else { throw .io(path: path, reason: "cannot open the file") }
    defer { try? input.close() }
    var hasher = SHA256()
    do {
        while let chunk = try input.read(upToCount: 1 << 22), !chunk.isEmpty { hasher.update(data: chunk) }
    } catch {
        throw .io(path: path, reason: "\(error)")
    }
    return hexadecimal(hasher.finalize())
}

private func hexadecimal(_ digest: SHA256.Digest) -> String {
    digest.map { String(format: "%02x", $0) }.joined()
}
