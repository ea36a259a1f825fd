import Dispatch

/// Runs blocking work (a child process, file reads) on a dispatch thread, so it does not
/// hold one of the few threads Swift concurrency runs tasks on.
func onBlockingThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
