#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Persistent worker threads for the core's `ParallelFor`: a fork-join barrier, as ggml
/// uses. A forward pass makes hundreds of parallel calls per token, so workers spin
/// briefly between calls before sleeping, and nothing is allocated per call.
///
/// Each thread starts on its own contiguous share of a call's tasks and walks it in order,
/// so a matrix's rows stream through one core and its prefetches serve itself; a thread
/// that runs out takes tasks from the far end of another's share (work stealing), so a
/// preempted thread does not hold everyone up.
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int

    /// Bumped once per parallel call; workers watch it for new work.
    private let generation = Atomic<Int>(0)
    /// Per thread, the tasks of its share not yet taken, as `next << 32 | end`; one per
    /// cache line (every `shareStride`-th entry) so that threads do not contend for lines.
    private let shares: UnsafeMutablePointer<Atomic<UInt64>>
    private static let shareStride = 8
    /// Workers done with the current call. The caller waits for all of them, so the job
    /// below is only ever rewritten while every worker is idle.
    private let checkedOut = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var body: ((Int) -> Void)?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var threads: [pthread_t] = []

    /// `threadCount` threads in all, the caller's included.
    public init(threadCount: Int = ThreadPool.defaultThreadCount) {
        self.threadCount = max(1, threadCount)
        shares = .allocate(capacity: self.threadCount * Self.shareStride)
        for i in 0..<(self.threadCount * Self.shareStride) { (shares + i).initialize(to: Atomic(0)) }
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wakeUp, nil)
        for index in 1..<self.threadCount {
            var thread = pthread_t()
            let start = Unmanaged.passRetained(WorkerStart(pool: self, index: index)).toOpaque()
            pthread_create(&thread, nil, { start in
                let worker = Unmanaged<WorkerStart>.fromOpaque(start!).takeRetainedValue()
                // No strong reference for the worker's lifetime: deinit stops and joins it.
                worker.pool._withUnsafeGuaranteedRef { $0.workerLoop(index: worker.index) }
                return nil
            }, start)
            threads.append(thread)
        }
    }

    private final class WorkerStart {
        let pool: Unmanaged<ThreadPool>
        let index: Int
        init(pool: ThreadPool, index: Int) { (self.pool, self.index) = (.passUnretained(pool), index) }
    }

    public static var defaultThreadCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        publish()
        for thread in threads { pthread_join(thread, nil) }
        pthread_cond_destroy(wakeUp)
        pthread_mutex_destroy(mutex)
        wakeUp.deallocate()
        mutex.deallocate()
        shares.deinitialize(count: threadCount * Self.shareStride)
        shares.deallocate()
    }

    /// Runs `body(task)` for every task in 0..<count across the pool and returns when all
    /// are done. One parallel call at a time (calls from one session's forward pass).
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        guard threadCount > 1 && count > 1 else {
            for task in 0..<count { body(task) }
            return
        }
        withoutActuallyEscaping(body) { body in
            self.body = body
            for thread in 0..<threadCount {
                let first = UInt64(count * thread / threadCount), end = UInt64(count * (thread + 1) / threadCount)
                share(thread).pointee.store(first << 32 | end, ordering: .relaxed)
            }
            checkedOut.store(0, ordering: .relaxed)
            publish()
            runTasks(body, thread: 0)
            var spins = 0
            while checkedOut.load(ordering: .acquiring) < threads.count { Self.spin(&spins) }
            self.body = nil
        }
    }

    @inline(__always)
    private func share(_ thread: Int) -> UnsafeMutablePointer<Atomic<UInt64>> { shares + thread * Self.shareStride }

    /// Starts a new generation and wakes sleeping workers.
    private func publish() {
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(wakeUp)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Runs the tasks of `thread`'s share from its front, then steals from the backs of the
    /// others' shares until none is left.
    private func runTasks(_ body: (Int) -> Void, thread: Int) {
        while let task = take(from: thread, front: true) { body(task) }
        for offset in 1..<threadCount {
            let victim = (thread + offset) % threadCount
            while let task = take(from: victim, front: false) { body(task) }
        }
    }

    /// Takes the first (or last) task left in `thread`'s share, if any.
    @inline(__always)
    private func take(from thread: Int, front: Bool) -> Int? {
        let share = share(thread)
        var current = share.pointee.load(ordering: .relaxed)
        while true {
            let next = current >> 32, end = current & 0xffff_ffff
            guard next < end else { return nil }
            let taken = front ? (next + 1) << 32 | end : next << 32 | (end - 1)
            let (exchanged, original) = share.pointee.compareExchange(
                expected: current, desired: taken, ordering: .acquiringAndReleasing)
            if exchanged { return Int(front ? next : end - 1) }
            current = original
        }
    }

    /// One turn of a busy wait. Every thousandth turn yields the core, so that when there
    /// are more busy threads than cores (other pools, other programs) a waiter does not
    /// burn the time slice of the thread it is waiting for.
    @inline(__always)
    private static func spin(_ spins: inout Int) {
        spins += 1
        if spins % 1000 == 0 { sched_yield() }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < 100_000 { Self.spin(&spins) }
            if generation.load(ordering: .acquiring) == seen {
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wakeUp, mutex) }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            if let body { runTasks(body, thread: index) }
            checkedOut.add(1, ordering: .releasing)
        }
    }
}
