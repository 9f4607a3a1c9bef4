#ifndef CNCURSES_H
#define CNCURSES_H

// ncursesw's wide-character API for Swift, plus shims for what Swift cannot import:
// function-like macros (attributes, getmaxyx), globals Swift 6 rejects as not
// concurrency-safe (stdscr, COLORS), and an async-signal-safe wake pipe.
// Only TaskmonMonitor's `Terminal` may use this module.

// curses.h hides the wide API (cchar_t, wget_wch) unless asked for it; SwiftPM drops the
// pkg-config defines that would do so.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <ncursesw/curses.h>
#include <ncursesw/term.h>
#include <stdint.h>
#include <wchar.h>

// Attributes: A_* are macros over NCURSES_BITS, which Swift cannot import.
attr_t cncurses_attr_bold(void);
attr_t cncurses_attr_dim(void);
attr_t cncurses_attr_reverse(void);
attr_t cncurses_attr_underline(void);
attr_t cncurses_attr_italic(void);

// Globals Swift 6 refuses to touch (mutable, not concurrency-safe).
WINDOW *cncurses_stdscr(void);
int cncurses_colors(void);
int cncurses_color_pairs(void);

// getmaxyx is a macro.
int cncurses_rows(WINDOW *window);
int cncurses_columns(WINDOW *window);

/// True when the terminal can address the cursor (terminfo `cup`). `dumb` cannot,
/// although newterm accepts it.
int cncurses_can_address_cursor(void);

/// Writes one wide string of `count` characters at (row, column) with attributes and a
/// colour pair. The pair goes separately because COLOR_PAIR() in attributes stops at 255.
int cncurses_put(WINDOW *window, int row, int column, const wchar_t *text, int count, attr_t attributes, int pair);

// The wake pipe: lets signal handlers and other threads wake the UI loop's poll().

/// Creates the non-blocking, close-on-exec wake pipe. Returns its read end, or -1.
int cncurses_wake_pipe_open(void);
/// Async-signal-safe: writes one byte naming why (a signal number, or 0 for "look at the model").
void cncurses_wake(uint8_t reason);
/// Reads all pending wake bytes; sets bits in *signals for each signal seen (1 << signo),
/// and returns how many bytes were read.
int cncurses_wake_drain(uint64_t *signals);
/// Installs handlers for SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGCONT and SIGTSTP that
/// only write to the wake pipe, so the UI loop can restore the tty before exiting, relayout on
/// resize at once and suspend on Ctrl-Z, all on its own thread (ncurses' own SIGWINCH handler
/// only takes effect at the next key read, its SIGINT handler exits without our cleanup, and
/// its SIGTSTP handler draws from inside the signal, racing the UI thread). Call before newterm.
int cncurses_install_signal_handlers(void);
/// Stops the process as Ctrl-Z would (SIGTSTP, default action); returns after SIGCONT, with
/// SIGTSTP's handling as it was. Call on the UI thread after endwin. Does nothing when SIGTSTP
/// was ignored at start (no job control).
void cncurses_stop_self(void);
/// 1: SIGTSTP ignored (while a program such as a pager has the terminal: it stops itself, and
/// the monitor follows it, see Terminal.runProgram); 0: back to the wake pipe.
void cncurses_sigtstp_ignore(int on);

/// wcwidth(3): not visible through Swift's Glibc module.
int cncurses_wcwidth(wchar_t c);

/// The C library's stdin/stdout streams for newterm (Swift 6 rejects the globals).
FILE *cncurses_stdin(void);
FILE *cncurses_stdout(void);

/// setlocale(LC_ALL, "") and, when that locale cannot encode UTF-8 (LANG unset over SSH,
/// say), LC_CTYPE=C.UTF-8 so ncursesw can still draw Unicode. Returns 1 when the final
/// character encoding is UTF-8.
int cncurses_use_utf8_locale(void);

/// TIOCGWINSZ: the terminal's size now (ioctl is variadic, so Swift cannot call it).
int cncurses_window_size(int fd, int *out_rows, int *out_columns);

/// curs_set: 0 hides the cursor, 1 shows it; returns the previous visibility (or ERR).
int cncurses_cursor(int visibility);

#endif
