#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Persistent worker threads for the core's `ParallelFor`: a fork-join barrier, as ggml
/// uses. A forward pass makes hundreds of parallel calls per token, so workers spin
/// briefly between calls before sleeping, tasks are handed out through one atomic
/// counter, and nothing is allocated per call.
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int

    /// Bumped once per parallel call; workers watch it for new work.
    private let generation = Atomic<Int>(0)
    private let nextTask = Atomic<Int>(0)
    /// Workers done with the current call. The caller waits for all of them, so the job
    /// below is only ever rewritten while every worker is idle.
    private let checkedOut = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var taskCount = 0
    private var body: ((Int) -> Void)?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var threads: [pthread_t] = []

    /// `threadCount` threads in all, the caller's included.
    public init(threadCount: Int = ThreadPool.defaultThreadCount) {
        self.threadCount = max(1, threadCount)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wakeUp, nil)
        for _ in 1..<self.threadCount {
            var thread = pthread_t()
            let context = Unmanaged.passUnretained(self).toOpaque()
            pthread_create(&thread, nil, { context in
                Unmanaged<ThreadPool>.fromOpaque(context!).takeUnretainedValue().workerLoop()
                return nil
            }, context)
            threads.append(thread)
        }
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
            taskCount = count
            nextTask.store(0, ordering: .relaxed)
            checkedOut.store(0, ordering: .relaxed)
            publish()
            runTasks(body, count: count)
            var spins = 0
            while checkedOut.load(ordering: .acquiring) < threads.count { Self.spin(&spins) }
            self.body = nil
        }
    }

    /// Starts a new generation and wakes sleeping workers.
    private func publish() {
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(wakeUp)
            pthread_mutex_unlock(mutex)
        }
    }

    private func runTasks(_ body: (Int) -> Void, count: Int) {
        while true {
            let task = nextTask.add(1, ordering: .relaxed).oldValue
            guard task < count else { return }
            body(task)
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

    private func workerLoop() {
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
            if let body { runTasks(body, count: taskCount) }
            checkedOut.add(1, ordering: .releasing)
        }
    }
}
