#define _GNU_SOURCE  // pipe2
#define _XOPEN_SOURCE 700
#include "CNCurses.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

attr_t cncurses_attr_bold(void) { return A_BOLD; }
attr_t cncurses_attr_dim(void) { return A_DIM; }
attr_t cncurses_attr_reverse(void) { return A_REVERSE; }
attr_t cncurses_attr_underline(void) { return A_UNDERLINE; }
attr_t cncurses_attr_italic(void) { return A_ITALIC; }

WINDOW *cncurses_stdscr(void) { return stdscr; }
int cncurses_colors(void) { return COLORS; }
int cncurses_color_pairs(void) { return COLOR_PAIRS; }

int cncurses_rows(WINDOW *window) { return getmaxy(window); }
int cncurses_columns(WINDOW *window) { return getmaxx(window); }

int cncurses_can_address_cursor(void) {
    const char *cup = tigetstr("cup");
    return cup != NULL && cup != (char *)-1;
}

int cncurses_put(WINDOW *window, int row, int column, const wchar_t *text, int count, attr_t attributes, int pair) {
    if (wattr_set(window, attributes, (short)(pair > 32767 ? 0 : pair), NULL) == ERR) {
        return ERR;
    }
    // A write that ends in the bottom-right cell returns ERR after drawing (the cursor
    // cannot advance); the text is on screen, so that is not a failure.
    mvwaddnwstr(window, row, column, text, count);
    return OK;
}

static int wake_read_end = -1;
static int wake_write_end = -1;

int cncurses_wake_pipe_open(void) {
    if (wake_read_end >= 0) {
        return wake_read_end;
    }
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        return -1;
    }
    wake_read_end = fds[0];
    wake_write_end = fds[1];
    return wake_read_end;
}

void cncurses_wake(uint8_t reason) {
    int saved = errno;
    if (wake_write_end >= 0) {
        // A full pipe already holds a wake-up; dropping this byte loses nothing but
        // a signal number, and signals are also re-sent below when it matters.
        ssize_t ignored = write(wake_write_end, &reason, 1);
        (void)ignored;
    }
    errno = saved;
}

int cncurses_wake_drain(uint64_t *signals) {
    uint8_t buffer[256];
    int total = 0;
    for (;;) {
        ssize_t count = read(wake_read_end, buffer, sizeof buffer);
        if (count <= 0) {
            break;
        }
        for (ssize_t i = 0; i < count; i++) {
            if (buffer[i] > 0 && buffer[i] < 64) {
                *signals |= (uint64_t)1 << buffer[i];
            }
        }
        total += (int)count;
    }
    return total;
}

static void wake_on_signal(int signo) { cncurses_wake((uint8_t)signo); }

static int install_wake_handler(int signo) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = wake_on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return sigaction(signo, &action, NULL);
}

/// Whether SIGTSTP is ours: not when the monitor was started with it ignored (no job control).
static int owns_sigtstp = 0;

int cncurses_install_signal_handlers(void) {
    // SIGQUIT (Ctrl-\) quits like SIGTERM: its default would dump core over the screen and
    // leave the tty raw. SIGCONT: a resize while suspended sends no SIGWINCH to a stopped job.
    int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGCONT};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        if (install_wake_handler(signals[i]) != 0) {
            return -1;
        }
    }
    // SIGTSTP (Ctrl-Z) too, before newterm, so that ncurses does not install its own: that
    // handler calls endwin and doupdate inside the signal, on whichever thread took it, while
    // the UI thread may be inside ncurses as well (a double free in resize_term after `fg`).
    struct sigaction current;
    if (sigaction(SIGTSTP, NULL, &current) != 0) {
        return -1;
    }
    if (current.sa_handler != SIG_IGN) {
        if (install_wake_handler(SIGTSTP) != 0) {
            return -1;
        }
        owns_sigtstp = 1;
    }
    return 0;
}

void cncurses_sigtstp_ignore(int on) {
    if (!owns_sigtstp) {
        return;
    }
    if (on) {
        signal(SIGTSTP, SIG_IGN);
    } else {
        install_wake_handler(SIGTSTP);
    }
}

void cncurses_stop_self(void) {
    if (!owns_sigtstp) {
        return;
    }
    struct sigaction previous;
    struct sigaction stop;
    memset(&stop, 0, sizeof stop);
    stop.sa_handler = SIG_DFL;
    sigemptyset(&stop.sa_mask);
    sigaction(SIGTSTP, &stop, &previous);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTSTP);
    sigset_t saved;
    pthread_sigmask(SIG_UNBLOCK, &mask, &saved);
    // Sent to this thread, not the process: a signal a thread sends itself, unblocked, is taken
    // before the call returns, so the process stops here and carries on after SIGCONT (`fg`).
    // kill(getpid()) let the kernel give it to another thread that has it unblocked (the main
    // thread, parked by libdispatch in sigsuspend with an empty mask, while the UI runs on a
    // worker): kill returned at once, and the sigaction below (SIG_IGN while a pager runs)
    // discarded the still-pending SIGTSTP, so the monitor never stopped and woke its pager again.
    pthread_kill(pthread_self(), SIGTSTP);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    sigaction(SIGTSTP, &previous, NULL);
}

int cncurses_wcwidth(wchar_t c) { return wcwidth(c); }

FILE *cncurses_stdin(void) { return stdin; }
FILE *cncurses_stdout(void) { return stdout; }

static int codeset_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

int cncurses_use_utf8_locale(void) {
    setlocale(LC_ALL, "");
    if (codeset_is_utf8()) {
        return 1;
    }
    if (setlocale(LC_CTYPE, "C.UTF-8") != NULL && codeset_is_utf8()) {
        return 1;
    }
    return 0;
}

int cncurses_cursor(int visibility) { return curs_set(visibility); }

int cncurses_window_size(int fd, int *out_rows, int *out_columns) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_row == 0 || size.ws_col == 0) {
        return -1;
    }
    *out_rows = size.ws_row;
    *out_columns = size.ws_col;
    return 0;
}
