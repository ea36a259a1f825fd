/// A forward pass that runs on a device a shell owns (a GPU), for one session: the shell
/// builds it from the model's `ForwardPlan` and keeps the session's keys and values there.
/// Closures rather than a protocol, so that the core stays free of existentials.
public final class DeviceForward {
    /// Runs `tokens` at positions `start ..< start + count`; the logits of the rows from
    /// `logitsFrom` on stay on the device for `logits`, and the last row's largest logit's
    /// index is read back for `lastArgmax`.
    let run: (_ tokens: UnsafeBufferPointer<Int32>, _ start: Int, _ logitsFrom: Int) throws(EngineError) -> Void
    /// The index of the last row's largest logit (the first on ties), after `run`.
    let lastArgmax: () -> Int32
    /// Row `row` of the kept logits ([vocabulary size]), read back from the device; valid
    /// until the next call.
    let logits: (_ row: Int) throws(EngineError) -> UnsafePointer<Float>
    /// The most rows of logits one pass can keep (a device bounds one buffer's size).
    let logitRows: Int

    public init(
        logitRows: Int,
        run: @escaping (_ tokens: UnsafeBufferPointer<Int32>, _ start: Int, _ logitsFrom: Int) throws(EngineError) -> Void,
        lastArgmax: @escaping () -> Int32,
        logits: @escaping (_ row: Int) throws(EngineError) -> UnsafePointer<Float>
    ) {
        self.logitRows = logitRows
        self.run = run
        self.lastArgmax = lastArgmax
        self.logits = logits
    }
}
