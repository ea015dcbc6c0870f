// Stress: 200 short-lived children in 10 batches of 20 running side by side: in each batch
// 10 exec `/bin/busybox true` and 5 pipelines of two (a writer child feeding a child that
// execs `busybox wc -c`, which reports into one shared pipe); then 20 orphans (children
// that fork a grandchild and exit at once) reaped by this process as their new parent.
// The runner checks that no process of the run outlives it (check-no-husk-procs).
// check-no-husk-procs
// timeout: 60
#include "t.h"
#include <sys/prctl.h>
#include <sys/wait.h>

enum { BATCHES = 10, PER_BATCH = 20, TRUES = 10, PIPELINES = 5, LINES = 50 };

static char *env[] = {"PATH=/usr/bin:/bin", NULL};

int main(void)
{
    int counts[2];
    pipe(counts); /* every wc writes its count here */
    int started = 0, reaped = 0, bad_status = 0;

    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < TRUES; i++) {
            pid_t p = fork();
            if (p == 0) {
                char *av[] = {"true", NULL};
                execve("/bin/busybox", av, env);
                _exit(127);
            }
            started += p > 0;
        }
        for (int k = 0; k < PIPELINES; k++) {
            int pp[2];
            pipe(pp);
            pid_t w = fork();
            if (w == 0) { /* writer: LINES lines of 10 bytes */
                close(pp[0]);
                close(counts[0]);
                close(counts[1]);
                for (int l = 0; l < LINES; l++)
                    if (write(pp[1], "line 0123\n", 10) != 10)
                        _exit(1);
                _exit(0);
            }
            pid_t r = fork();
            if (r == 0) { /* reader: busybox wc -c < pipe > counts */
                close(pp[1]);
                dup2(pp[0], 0);
                dup2(counts[1], 1);
                close(pp[0]);
                close(counts[0]);
                close(counts[1]);
                char *av[] = {"wc", "-c", NULL};
                execve("/bin/busybox", av, env);
                _exit(127);
            }
            close(pp[0]);
            close(pp[1]);
            started += (w > 0) + (r > 0);
        }
        int st;
        for (int i = 0; i < PER_BATCH; i++) {
            if (waitpid(-1, &st, 0) > 0) {
                reaped++;
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                    bad_status++;
            }
        }
    }
    close(counts[1]);
    CHECK_EQ("200 children started", started, BATCHES * PER_BATCH);
    CHECK_EQ("200 children reaped", reaped, BATCHES * PER_BATCH);
    CHECK_EQ("all exited 0", bad_status, 0);
    int st;
    CHECK_ERR("none left: ECHILD", waitpid(-1, &st, WNOHANG), ECHILD);

    /* the wc reports: one line "500" per pipeline */
    char buf[1024];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(buf) - 1 && (n = read(counts[0], buf + got, sizeof(buf) - 1 - got)) > 0)
        got += n;
    buf[got] = 0;
    int lines = 0, right = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        lines++;
        right += atoi(line) == LINES * 10;
    }
    CHECK_EQ("50 pipelines reported", lines, BATCHES * PIPELINES);
    CHECK_EQ("each counted 500 bytes", right, BATCHES * PIPELINES);
    close(counts[0]);

    /* orphans: natively they would go to the host's init, so become their subreaper (in
     * husk this process is pid 1 and gets them anyway) */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    for (int i = 0; i < 20; i++) {
        pid_t p = fork();
        if (p == 0) {
            pid_t g = fork();
            if (g == 0) {
                struct timespec ts = {0, 20 * 1000000L};
                nanosleep(&ts, NULL);
                _exit(3);
            }
            _exit(g > 0 ? 0 : 1);
        }
    }
    int children = 0, orphans = 0;
    while (waitpid(-1, &st, 0) > 0) {
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            children++;
        else if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
            orphans++;
    }
    CHECK_EQ("20 middle children reaped", children, 20);
    CHECK_EQ("20 orphaned grandchildren reaped by their new parent", orphans, 20);
    return t_done();
}
