import CTaskmonPOSIX
import Foundation

/// Starts `body` on a thread of its own that carries `name` (at most 15 bytes show), so that
/// `top -H`, `ps -L` and `perf` tell the scheduler's threads apart. Foundation's `Thread.name`
/// set before `start()` does not reach the kernel on Linux: such threads showed the name of
/// whichever dispatch worker started them. `stackSize`: nil for Foundation's default.
func startNamedThread(_ name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread {
        ctaskmon_set_thread_name(name)
        body()
    }
    thread.name = name
    if let stackSize { thread.stackSize = stackSize }
    thread.start()
}
