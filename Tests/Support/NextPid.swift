import Glibc

/// Whether this process may choose the next pid the kernel hands out (root in its pid
/// namespace): tests of what happens when a pid comes back need it.
public let canChooseTheNextPid = access("/proc/sys/kernel/ns_last_pid", W_OK) == 0

/// Makes `pid` the next pid handed out, unless another process forks first (callers check
/// the pid they got, and try again).
public func makeNextPid(_ pid: Int32) {
    let fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let text = String(pid - 1)
    _ = text.withCString { write(fd, $0, strlen($0)) }
}
