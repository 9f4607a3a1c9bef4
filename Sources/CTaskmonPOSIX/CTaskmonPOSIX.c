#include "CTaskmonPOSIX.h"
#include <sys/wait.h>

int ctaskmon_wifexited(int status) { return WIFEXITED(status); }
int ctaskmon_wexitstatus(int status) { return WEXITSTATUS(status); }
int ctaskmon_wifsignaled(int status) { return WIFSIGNALED(status); }
int ctaskmon_wtermsig(int status) { return WTERMSIG(status); }
