// _GNU_SOURCE must come before any include: it is what exposes clone and CLONE_PIDFD.
#define _GNU_SOURCE
#include "CTaskmonSpawn.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/// The kernel's own signal numbers run to 64; glibc's sigset_t is larger than the kernel's,
/// which the raw calls below must be told (8 bytes).
enum { KERNEL_SIGNALS = 64, KERNEL_SIGSET_BYTES = 8 };

/// The child's stack: made once, kept for every spawn (glibc maps and unmaps one a spawn),
/// with a guard page below it. The child only runs thin system-call wrappers on it.
enum { STACK_BYTES = 128 * 1024, GUARD_BYTES = 4096 };
static pthread_mutex_t stack_lock = PTHREAD_MUTEX_INITIALIZER;
static char *stack_base = NULL;

struct child_args {
    const struct ctaskmon_spawn_plan *plan;
    /// Set by the child when a step fails; the parent reads it once the vfork has let it go.
    volatile int failure;
    /// Set by the child when it could not enter its cgroup (it runs on without it).
    volatile int cgroup_failure;
};

static _Noreturn void child_fails(struct child_args *args, int code) {
    args->failure = code ? code : EINVAL;
    _exit(127);
}

/// Opens what `fd` stands for when it is -1.
static int child_source(struct child_args *args, int fd, const char *path, int flags) {
    if (fd >= 0) return fd;
    int opened = open(path, flags | O_CLOEXEC, 0644);
    if (opened < 0) child_fails(args, errno);
    return opened;
}

static int child_main(void *raw) {
    struct child_args *args = raw;
    const struct ctaskmon_spawn_plan *plan = args->plan;

    // Every signal to its default first: a handler of ours must never run here, on memory we
    // share until exec, and an ignored signal would stay ignored in the task. Raw calls, since
    // glibc refuses its two internal signals (32, 33), which must be reset too. A zeroed kernel
    // sigaction is SIG_DFL with no flags and an empty mask on every architecture.
    unsigned long default_action[4] = {0, 0, 0, 0};
    for (int sig = 1; sig <= KERNEL_SIGNALS; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        (void)syscall(SYS_rt_sigaction, sig, default_action, NULL, KERNEL_SIGSET_BYTES);
    }
    if (setpgid(0, 0) != 0) child_fails(args, errno);
    // "0" is the writing thread itself (cgroup v1's tasks file): the child, alone in its process.
    if (plan->cgroup_tasks_fd >= 0 && write(plan->cgroup_tasks_fd, "0", 1) != 1) {
        args->cgroup_failure = errno ? errno : EIO;
    }

    int sources[3];
    sources[0] = child_source(args, plan->stdin_fd, "/dev/null", O_RDONLY);
    sources[1] = child_source(args, plan->stdout_fd, plan->stdout_path, O_WRONLY | O_CREAT | O_APPEND);
    sources[2] = child_source(args, plan->stderr_fd, plan->stderr_path, O_WRONLY | O_CREAT | O_APPEND);
    // A source that is itself 0, 1 or 2 (the scheduler may run with those closed) but not its
    // own target would be overwritten by an earlier dup2: move it above 2 first.
    for (int target = 0; target < 3; target++) {
        if (sources[target] < 3 && sources[target] != target) {
            sources[target] = fcntl(sources[target], F_DUPFD_CLOEXEC, 3);
            if (sources[target] < 0) child_fails(args, errno);
        }
    }
    for (int target = 0; target < 3; target++) {
        // dup2 onto itself would leave close-on-exec set.
        int done = sources[target] == target ? fcntl(target, F_SETFD, 0) : dup2(sources[target], target);
        if (done < 0) child_fails(args, errno);
    }
    if (plan->cwd && chdir(plan->cwd) != 0) child_fails(args, errno);
    // Ours are all close-on-exec, but other code in the process may not be so careful.
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) child_fails(args, errno);

    uint64_t no_signals = 0;
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &no_signals, NULL, KERNEL_SIGSET_BYTES) != 0) child_fails(args, errno);
    execve(plan->path, plan->argv, plan->envp);
    child_fails(args, errno);
}

int ctaskmon_spawn(const struct ctaskmon_spawn_plan *plan, pid_t *pid, int *pidfd, int *cgroup_error) {
    *cgroup_error = 0;
    pthread_mutex_lock(&stack_lock);
    if (!stack_base) {
        void *mapped = mmap(NULL, STACK_BYTES + GUARD_BYTES, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (mapped == MAP_FAILED) {
            int code = errno;
            pthread_mutex_unlock(&stack_lock);
            return code;
        }
        if (mprotect(mapped, GUARD_BYTES, PROT_NONE) != 0) {
            int code = errno;
            munmap(mapped, STACK_BYTES + GUARD_BYTES);
            pthread_mutex_unlock(&stack_lock);
            return code;
        }
        stack_base = mapped;
    }
    struct child_args args = {.plan = plan, .failure = 0, .cgroup_failure = 0};
    // Blocked here until the child has reset every handler: a signal arriving in between
    // would run one of our handlers in the child, on our memory. All but SIGCHLD while it has
    // no handler: this thread is the parent of every child it started, and a SIGCHLD it blocks
    // is kept for the main thread to wake for (see the header), while one it does not block
    // is thrown away; the vfork waits long enough for another child's end to come meanwhile.
    uint64_t all_signals = ~(uint64_t)0, previous = 0;
    struct sigaction chld;
    if (sigaction(SIGCHLD, NULL, &chld) == 0 && !(chld.sa_flags & SA_SIGINFO) &&
        (chld.sa_handler == SIG_DFL || chld.sa_handler == SIG_IGN)) {
        all_signals &= ~((uint64_t)1 << (SIGCHLD - 1));
    }
    (void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all_signals, &previous, KERNEL_SIGSET_BYTES);
    int child_pidfd = -1;
    // CLONE_VFORK suspends us until the child has exec'd or exited, so `args.failure` is final
    // when clone returns.
    pid_t child = clone(child_main, stack_base + GUARD_BYTES + STACK_BYTES,
                        CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &args, &child_pidfd);
    int code = child < 0 ? errno : args.failure;
    *cgroup_error = child < 0 ? 0 : args.cgroup_failure;
    // Back to the mask we had, less SIGCHLD (see the header: this thread is the child's parent).
    previous &= ~((uint64_t)1 << (SIGCHLD - 1));
    (void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &previous, NULL, KERNEL_SIGSET_BYTES);
    pthread_mutex_unlock(&stack_lock);
    if (child < 0) return code;
    if (code != 0) {
        int status = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        close(child_pidfd);
        return code;
    }
    *pid = child;
    *pidfd = child_pidfd;
    return 0;
}
