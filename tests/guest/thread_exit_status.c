// exit() from a non-main thread ends the whole process with that status while the main
// thread waits in pthread_join and other threads wait in pthread_cond_wait, read() of a
// pipe and nanosleep: atexit handlers run (in the exiting thread) and stdout is flushed.
// cflags: -pthread
// expect-status: 37
#include "t.h"
#include <pthread.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER, counted = PTHREAD_COND_INITIALIZER;
static int waiting;
static pid_t pid;
static int pipefd[2];

static void at_exit(void)
{
    printf("atexit handler ran in a non-main thread: %s\n",
           syscall(SYS_gettid) != pid ? "yes" : "no");
}

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    waiting++;
    pthread_cond_signal(&counted);
    for (;;)
        pthread_cond_wait(&never, &m);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    char c;
    for (;;)
        read(pipefd[0], &c, 1);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        sleep(100);
    return NULL;
}

static void *exiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    while (waiting < 3)
        pthread_cond_wait(&counted, &m);
    pthread_mutex_unlock(&m); /* every cond_waiter is inside pthread_cond_wait now */
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL); /* the reader and sleeper are most likely blocked too */
    printf("three threads waiting; exit(37) from a thread\n");
    exit(37);
}

int main(void)
{
    pid = getpid();
    atexit(at_exit);
    if (pipe(pipefd) != 0)
        return 1;
    printf("main joins a thread that never ends\n");
    pthread_t t[6];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, cond_waiter, NULL);
    pthread_create(&t[3], NULL, reader, NULL);
    pthread_create(&t[4], NULL, sleeper, NULL);
    pthread_create(&t[5], NULL, exiter, NULL);
    pthread_join(t[0], NULL);
    printf("not reached\n");
    return 0;
}
