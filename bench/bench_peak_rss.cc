// bench_peak_rss FD [--preload LIB] PROG [ARGS...]
//
// bench/run's runner for one benchmark run: forks, runs PROG ARGS in the
// child (with LD_PRELOAD=LIB, or with LD_PRELOAD removed when --preload is
// absent), waits for it with wait4 and writes one line to file descriptor FD:
//   status=<wait status> maxrss_kib=<ru_maxrss of the child>
// (FD must be 3 or above: it is closed for the child) then exits 0 (the child's fate is in that line; exit 2 on bad usage, 1
// when the child cannot be started).
//
// Why a separate process: Linux keeps a process's peak RSS across execve, and
// a process spawned by Python starts as a copy (or a vfork) of the Python
// interpreter, so ru_maxrss of a direct child of bench/run is never below
// Python's own ~15 MiB. Forked from this small program, the child's floor is
// this program's RSS (about 1-2 MiB), below any benchmark's own baseline.
// This program itself never runs under the allocator being measured.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s FD [--preload LIB] PROG [ARGS...]\n", argv[0]);
    return 2;
  }
  char* end = nullptr;
  const long fd = strtol(argv[1], &end, 10);
  if (*argv[1] == '\0' || *end != '\0' || fd < 3 || fcntl(static_cast<int>(fd), F_GETFD) < 0) {
    fprintf(stderr, "%s: bad FD '%s'\n", argv[0], argv[1]);
    return 2;
  }
  int first = 2;
  const char* preload = nullptr;
  if (strcmp(argv[first], "--preload") == 0) {
    if (argc < 5) {
      fprintf(stderr, "usage: %s FD [--preload LIB] PROG [ARGS...]\n", argv[0]);
      return 2;
    }
    preload = argv[first + 1];
    first += 2;
  }
  fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);  // the benchmark does not inherit it

  const pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid == 0) {
    if (preload) setenv("LD_PRELOAD", preload, 1);
    else unsetenv("LD_PRELOAD");
    execvp(argv[first], argv + first);
    fprintf(stderr, "%s: cannot run %s: %s\n", argv[0], argv[first], strerror(errno));
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("wait4");
      return 1;
    }
  }
  dprintf(static_cast<int>(fd), "status=%d maxrss_kib=%ld\n", status, ru.ru_maxrss);
  return 0;
}
