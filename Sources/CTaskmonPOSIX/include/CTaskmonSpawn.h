#ifndef CTASKMON_SPAWN_H
#define CTASKMON_SPAWN_H

#include <sys/types.h>

/// What the child of ``ctaskmon_spawn`` sets up before it execs, in this order: every signal
/// at its default disposition, a process group of its own (pgid == pid), stdin/stdout/stderr,
/// the working directory, every other descriptor closed, an empty signal mask.
struct ctaskmon_spawn_plan {
    /// The executable, already resolved (no PATH search happens here).
    const char *path;
    char *const *argv;
    char *const *envp;
    /// The child's stdin; -1 opens /dev/null.
    int stdin_fd;
    /// The child's stdout and stderr; -1 opens the matching path (append, created 0644).
    int stdout_fd;
    int stderr_fd;
    const char *stdout_path;
    const char *stderr_path;
    /// The child's working directory, changed to after the paths above are opened; NULL keeps ours.
    const char *cwd;
    /// A cgroup v1 `tasks` file (open for writing) the child enters, by writing "0" to it, right
    /// after its process group is made; -1 for none. A failure to enter is not the spawn's: the
    /// child goes on where it is, and the errno comes back in `*cgroup_error`.
    int cgroup_tasks_fd;
};

/// Starts `plan` in a new process, as posix_spawn would: a vfork (the child runs in our memory,
/// on one stack kept for the purpose, until it execs), so it costs no copy of our memory and no
/// stack allocation, and the pidfd comes with the clone. Calls are serialized.
///
/// The calling thread is left with SIGCHLD unblocked, and keeps it unblocked during the spawn
/// while SIGCHLD has no handler (its other signals are blocked until the child has reset every
/// handler). The kernel sends a child's SIGCHLD to the thread that started it, and throws it
/// away there if SIGCHLD is at its default disposition and that thread does not block it. A blocked one is kept for whichever thread does not block
/// it: the main thread, parked by the Swift runtime in sigsuspend, woken once a child for
/// nothing (the reaper learns of exits through pidfds).
///
/// The child enters its cgroup itself (`cgroup_tasks_fd`), so the calling thread never moves:
/// before, it entered the task's cgroup to spawn and went back, two cgroup attaches a task.
///
/// Returns 0 and sets `*pid` and `*pidfd` (close-on-exec), or returns the errno of the step
/// that failed, in the child or here; a child that failed has already been reaped.
int ctaskmon_spawn(const struct ctaskmon_spawn_plan *plan, pid_t *pid, int *pidfd, int *cgroup_error);

#endif
