// _GNU_SOURCE must come before any include: it is what exposes the *_np spawn file actions.
#define _GNU_SOURCE
#include "CTaskmonPOSIX.h"
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

int ctaskmon_wifexited(int status) { return WIFEXITED(status); }
int ctaskmon_wexitstatus(int status) { return WEXITSTATUS(status); }
int ctaskmon_wifsignaled(int status) { return WIFSIGNALED(status); }
int ctaskmon_wtermsig(int status) { return WTERMSIG(status); }

int ctaskmon_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int ctaskmon_is_child(pid_t pid, int pidfd) {
    siginfo_t info;
    for (;;) {
        memset(&info, 0, sizeof info);
        // WNOWAIT: only a look; the child, if it is one, is still the reaper's to reap.
        int result = pidfd >= 0
            ? waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG | WNOWAIT)
            : waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT);
        if (result == 0) return 1;
        if (errno == EINTR) continue;
        // A kernel without P_PIDFD (before 5.4): ask by number, which the pidfd keeps in use.
        if (errno == EINVAL && pidfd >= 0) { pidfd = -1; continue; }
        return 0;
    }
}

int ctaskmon_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int ctaskmon_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int ctaskmon_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int ctaskmon_epoll_add(int epfd, int fd, uint64_t token) {
    struct epoll_event event = { .events = EPOLLIN, .data.u64 = token };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int ctaskmon_epoll_remove(int epfd, int fd) { return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }

int ctaskmon_epoll_wait_timeout(int epfd, uint64_t *tokens, int capacity, int timeout) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int n = epoll_wait(epfd, events, capacity, timeout);
    for (int i = 0; i < n; i++) tokens[i] = events[i].data.u64;
    return n;
}

int ctaskmon_epoll_wait_events_timeout(int epfd, uint64_t *tokens, uint32_t *ready, int capacity, int timeout) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int n = epoll_wait(epfd, events, capacity, timeout);
    for (int i = 0; i < n; i++) {
        tokens[i] = events[i].data.u64;
        ready[i] = ((events[i].events & EPOLLIN) ? CTASKMON_READY_READABLE : 0)
                 | ((events[i].events & (EPOLLHUP | EPOLLERR)) ? CTASKMON_READY_HANGUP : 0);
    }
    return n;
}

int ctaskmon_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }
int ctaskmon_gettid(void) { return (int)syscall(SYS_gettid); }
void ctaskmon_set_thread_name(const char *name) { (void)prctl(PR_SET_NAME, name, 0, 0, 0); }

short ctaskmon_posix_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

int ctaskmon_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

long ctaskmon_splice_to_file(int pipe_fd, int file_fd, unsigned long length) {
    return (long)splice(pipe_fd, NULL, file_fd, NULL, length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

int ctaskmon_readable_bytes(int fd) {
    int available = 0;
    if (ioctl(fd, FIONREAD, &available) != 0) return -1;
    return available;
}

int ctaskmon_set_window_size(int fd, int rows, int columns) {
    struct winsize size = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)columns};
    return ioctl(fd, TIOCSWINSZ, &size);
}

int ctaskmon_open_pty(char *slave_path, int capacity) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) {
        return -1;
    }
    if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, slave_path, (size_t)capacity) != 0) {
        close(master);
        return -1;
    }
    return master;
}

// --- wcwidth in a UTF-8 locale (see the header for why) ---
#include <locale.h>
#include <pthread.h>
#include <wchar.h>

static locale_t utf8_locale = (locale_t)0;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void make_utf8_locale(void) {
    // C.UTF-8 is built into glibc >= 2.35; the others cover older systems.
    static const char *const names[] = {"C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        utf8_locale = newlocale(LC_CTYPE_MASK, names[i], (locale_t)0);
        if (utf8_locale != (locale_t)0) return;
    }
}

void ctaskmon_wcwidth_utf8_range(uint32_t first, uint32_t count, int8_t *widths) {
    pthread_once(&utf8_locale_once, make_utf8_locale);
    // uselocale changes only this thread's locale, and only until we switch back.
    locale_t previous = utf8_locale != (locale_t)0 ? uselocale(utf8_locale) : (locale_t)0;
    for (uint32_t i = 0; i < count; i++) widths[i] = (int8_t)wcwidth((wchar_t)(first + i));
    if (previous != (locale_t)0) uselocale(previous);
}

int ctaskmon_wcwidth_utf8(uint32_t c) {
    int8_t width;
    ctaskmon_wcwidth_utf8_range(c, 1, &width);
    return width;
}

int ctaskmon_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}
