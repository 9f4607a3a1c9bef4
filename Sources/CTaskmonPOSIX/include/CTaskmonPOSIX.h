#ifndef CTASKMON_POSIX_H
#define CTASKMON_POSIX_H

#include <sys/types.h>

// Shims for POSIX macros Swift cannot import (function-like macros).

/// WIFEXITED: the child ended by calling exit.
int ctaskmon_wifexited(int status);
/// WEXITSTATUS: its exit code.
int ctaskmon_wexitstatus(int status);
/// WIFSIGNALED: the child was killed by a signal.
int ctaskmon_wifsignaled(int status);
/// WTERMSIG: which signal.
int ctaskmon_wtermsig(int status);

#endif
