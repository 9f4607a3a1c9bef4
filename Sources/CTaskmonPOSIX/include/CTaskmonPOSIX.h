#ifndef CTASKMON_POSIX_H
#define CTASKMON_POSIX_H

#include <spawn.h>
#include <stdint.h>
#include <sys/types.h>
#include "CTaskmonSpawn.h"

// Shims for POSIX macros Swift cannot import (function-like macros).

/// WIFEXITED: the child ended by calling exit.
int ctaskmon_wifexited(int status);
/// WEXITSTATUS: its exit code.
int ctaskmon_wexitstatus(int status);
/// WIFSIGNALED: the child was killed by a signal.
int ctaskmon_wifsignaled(int status);
/// WTERMSIG: which signal.
int ctaskmon_wtermsig(int status);

// Process spawning and reaping (see Sources/TaskmonScheduler/Host).

/// pidfd_open(2). Exists because the only way to reach it portably across glibc
/// versions is `syscall()`, which is variadic and so cannot be called from Swift.
/// The returned descriptor is always close-on-exec. Returns -1 and sets errno on failure.
int ctaskmon_pidfd_open(pid_t pid);

/// Whether `pid` is a child of this process not yet reaped (running, stopped or a zombie),
/// asked through `pidfd` when it is one (>= 0), which names one process for good, or else
/// by number. Never reaps: a waitid with WNOWAIT. A process that is not ours (the number of a
/// child reaped a moment ago, given to someone else's process) answers 0.
int ctaskmon_is_child(pid_t pid, int pidfd);

/// posix_spawn_file_actions_addchdir_np. Exists because glibc declares it only
/// under _GNU_SOURCE, which Swift's Glibc module is not built with.
int ctaskmon_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34). Exists for the same
/// _GNU_SOURCE reason; lets the child close every inherited descriptor >= `from`,
/// so descriptors opened without O_CLOEXEC by other code in this process do not leak.
int ctaskmon_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// epoll_create1(EPOLL_CLOEXEC). The epoll shims exist because <sys/epoll.h> is not part of
/// Swift's Glibc module, and `struct epoll_event` is packed on x86_64, which is easy to get
/// wrong from Swift; these take and return a plain 64-bit token instead.
int ctaskmon_epoll_create(void);
/// epoll_ctl(EPOLL_CTL_ADD) for readability, level-triggered, with `token` as the event data.
int ctaskmon_epoll_add(int epfd, int fd, uint64_t token);
/// epoll_ctl(EPOLL_CTL_DEL).
int ctaskmon_epoll_remove(int epfd, int fd);
/// epoll_wait with a timeout in ms (-1 for ever, 0 to only look); stores up to `capacity`
/// ready tokens. Returns how many, or -1 with errno (EINTR included: the caller retries).
int ctaskmon_epoll_wait_timeout(int epfd, uint64_t *tokens, int capacity, int timeout);
/// Bits of what ``ctaskmon_epoll_wait_events_timeout`` says of each ready descriptor.
enum { CTASKMON_READY_READABLE = 1, CTASKMON_READY_HANGUP = 2 };
/// ``ctaskmon_epoll_wait_timeout``, also storing for each token what is ready:
/// CTASKMON_READY_READABLE (EPOLLIN: a pipe has bytes waiting) and CTASKMON_READY_HANGUP
/// (EPOLLHUP or EPOLLERR: for a pipe, every writer is gone). A pipe reports HANGUP without
/// READABLE once it is empty and closed, so its end needs no further call to be told from a
/// quiet moment.
int ctaskmon_epoll_wait_events_timeout(int epfd, uint64_t *tokens, uint32_t *ready, int capacity, int timeout);

/// eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK). Exists because <sys/eventfd.h> is not part of
/// Swift's Glibc module.
int ctaskmon_eventfd(void);
/// gettid(2): the calling thread's id (glibc declares gettid only under _GNU_SOURCE).
int ctaskmon_gettid(void);
/// Names the calling thread (the first 15 bytes), as ps -L, top -H and perf show it.
void ctaskmon_set_thread_name(const char *name);

/// POSIX_SPAWN_SETSID: start the child in a session of its own (a detached background
/// scheduler). Exists because glibc defines the flag only under _GNU_SOURCE.
short ctaskmon_posix_spawn_setsid_flag(void);

/// ioctl(TIOCSWINSZ): sets a pty's size (the benchmark runs the monitor in one). Exists
/// because ioctl is variadic, which Swift cannot call.
int ctaskmon_set_window_size(int fd, int rows, int columns);

/// posix_openpt + grantpt + unlockpt: opens a new pty's master side (close-on-exec) and
/// writes its slave's path to `slave_path`. Exists because glibc declares these only under
/// _XOPEN_SOURCE, which Swift's Glibc module is not built with. Returns the fd or -1.
int ctaskmon_open_pty(char *slave_path, int capacity);

/// pipe2(fds, O_CLOEXEC): a pipe no concurrently spawned child can inherit, made in one step
/// (pipe + fcntl leaves a window). Exists because glibc declares pipe2 only under _GNU_SOURCE.
int ctaskmon_pipe_cloexec(int fds[2]);

/// splice(pipe → file) without copying through user space, non-blocking on the pipe; moves
/// task output into its spool file. Exists because glibc declares splice only under _GNU_SOURCE.
/// Returns bytes moved, 0 at end of input, or -1 with errno (EAGAIN: the pipe is empty).
long ctaskmon_splice_to_file(int pipe_fd, int file_fd, unsigned long length);

/// ioctl(FIONREAD): bytes waiting in a pipe, or -1. Exists because ioctl is variadic, which
/// Swift cannot call.
int ctaskmon_readable_bytes(int fd);

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphans of our descendants are reparented to this process
/// instead of init, so the scheduler can find (and end) what a task left behind when it left
/// its process group. Exists because prctl is variadic, which Swift cannot call.
int ctaskmon_become_subreaper(void);

// Column widths for the monitor's TerminalText (Sources/TaskmonMonitor/Text).

/// wcwidth(3) of `c` as glibc answers it in a UTF-8 locale, whatever the process's locale is.
/// Exists because ncursesw places characters by wcwidth, so the monitor must measure with the
/// very same table; but wcwidth follows the current locale (in the C locale, which tests and
/// many services run in, it returns -1 for everything beyond ASCII), and it is not visible
/// through Swift's Glibc module at all. Uses a C.UTF-8 `locale_t` made once, switched in with
/// uselocale around the call; falls back to the current locale if none can be made.
int ctaskmon_wcwidth_utf8(uint32_t c);

/// The same for `count` consecutive code points from `first`, into `widths` (one switch of
/// locale for the whole range): fills a lookup table cheaply.
void ctaskmon_wcwidth_utf8_range(uint32_t first, uint32_t count, int8_t *widths);

#endif
