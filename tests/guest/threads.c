// Threads: thread ids, mutexes (normal, error-checking, recursive, timed), condition
// variables (ping-pong, broadcast, timed waits on both clocks), barriers, rwlocks (parallel
// readers, an excluding writer, consistency), join values, detached threads, creation churn
// (2,000 in sequence, 50 alive at once, a caller-supplied stack), thread-local storage and
// thread-specific data destructors, semaphores (ping-pong, timeouts), thread-directed
// signals (pthread_kill and tgkill run the handler in the target, EINTR of read() in a
// thread), process-directed signals (kill() reaches the one thread that does not block
// it, or the thread that later unblocks it), sigwaitinfo/sigwait/sigtimedwait in a thread,
// per-thread signal masks and pending sets, setuid/setgid with threads (glibc broadcasts
// SIGSETXID, musl its synccall signal), cancellation (glibc's SIGCANCEL, musl's) of a thread
// in read(), pthread_cond_wait and nanosleep, asynchronous and disabled cancellation, fork
// from a thread (the child execs busybox), exec from a thread of a multithreaded child, a
// process-shared semaphore across fork, a 64-thread lock stress, and finally pthread_exit
// from the main thread with another thread finishing the program.
// cflags: -pthread
// timeout: 60
#include "t.h"
#include <pthread.h>
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#define WAIT_MS 5000 /* upper bound of every wait for another thread (a bug, not a hang) */

static pid_t my_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Waits until *v >= want, at most ms milliseconds. Returns 1 if reached. */
static int wait_for(atomic_int *v, int want, int ms)
{
    long long end = t_now_us() + ms * 1000LL;
    while (atomic_load(v) < want) {
        if (t_now_us() > end)
            return 0;
        sleep_ms(1);
    }
    return 1;
}

/* An absolute CLOCK_REALTIME (or other clock) time ms milliseconds from now. */
static struct timespec abs_in(clockid_t clk, int ms)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* pthread_join with an upper bound, so that a broken wake-up fails a check instead of
 * hanging the program. Returns pthread_timedjoin_np's result (0 or an error number). */
static int join_within(pthread_t t, void **ret, int ms)
{
    struct timespec ts = abs_in(CLOCK_REALTIME, ms);
    return pthread_timedjoin_np(t, ret, &ts);
}

static int blocked_now(int sig)
{
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

static int pending_now(int sig)
{
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, sig);
}

static void block_sigs(int how, int a, int b)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, a);
    if (b)
        sigaddset(&s, b);
    pthread_sigmask(how, &s, NULL);
}

/* rt_sigtimedwait without a timeout, bypassing libc (glibc folds SI_TKILL into SI_USER) */
static int raw_sigwaitinfo(const sigset_t *set, siginfo_t *si)
{
    return (int)syscall(SYS_rt_sigtimedwait, set, si, NULL, 8);
}

/* ---- the handler shared by the signal sections: logs who ran it ------------------- */

#define LOG_N 16
static atomic_int h_count;
static pthread_t h_self[LOG_N];
static pid_t h_tid[LOG_N];
static int h_sig[LOG_N];

static void rec_handler(int sig)
{
    int i = atomic_load(&h_count);
    if (i < LOG_N) {
        h_self[i] = pthread_self();
        h_tid[i] = my_tid();
        h_sig[i] = sig;
    }
    atomic_store(&h_count, i + 1);
}

static void install_rec(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = rec_handler; /* no SA_RESTART: blocking calls end with EINTR */
    sigaction(sig, &sa, NULL);
}

/* ---- ids ----------------------------------------------------------------------------- */

#define ID_THREADS 4
static pid_t id_tid[ID_THREADS], id_pid[ID_THREADS];
static pthread_barrier_t id_bar;

static void *id_thread(void *arg)
{
    int i = (int)(intptr_t)arg;
    id_tid[i] = my_tid();
    id_pid[i] = getpid();
    pthread_barrier_wait(&id_bar); /* all alive at once: tids must differ */
    return NULL;
}

static void test_ids(void)
{
    pid_t pid = getpid();
    CHECK("main thread: gettid == getpid", my_tid() == pid);
    pthread_t t[ID_THREADS];
    pthread_barrier_init(&id_bar, NULL, ID_THREADS);
    int created = 1;
    for (int i = 0; i < ID_THREADS; i++)
        created &= pthread_create(&t[i], NULL, id_thread, (void *)(intptr_t)i) == 0;
    for (int i = 0; i < ID_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&id_bar);
    int tid_ne_pid = 1, pid_same = 1, distinct = 1;
    for (int i = 0; i < ID_THREADS; i++) {
        tid_ne_pid &= id_tid[i] > 0 && id_tid[i] != pid;
        pid_same &= id_pid[i] == pid;
        for (int j = 0; j < i; j++)
            distinct &= id_tid[i] != id_tid[j];
    }
    CHECK("ids: 4 threads created", created);
    CHECK("ids: gettid in a thread != getpid", tid_ne_pid);
    CHECK("ids: getpid in a thread == main's getpid", pid_same);
    CHECK("ids: tids of live threads distinct", distinct);
    CHECK("ids: pthread_equal(self, self)", pthread_equal(pthread_self(), pthread_self()));
}

/* ---- mutexes ------------------------------------------------------------------------- */

static pthread_mutex_t cnt_m = PTHREAD_MUTEX_INITIALIZER;
static long cnt_value;
static atomic_int cnt_inside, cnt_overlap;

static void *cnt_thread(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&cnt_m);
        if (atomic_fetch_add_explicit(&cnt_inside, 1, memory_order_relaxed) != 0)
            atomic_fetch_add(&cnt_overlap, 1);
        long v = cnt_value;
        cnt_value = v + 1;
        atomic_fetch_sub_explicit(&cnt_inside, 1, memory_order_relaxed);
        pthread_mutex_unlock(&cnt_m);
    }
    return NULL;
}

/* nthreads threads each lock/increment/unlock iters times; 1 if the count is exact. */
static int run_counter(const char *label, int nthreads, int iters)
{
    pthread_t *t = calloc(nthreads, sizeof(*t));
    int created = 0;
    cnt_value = 0;
    atomic_store(&cnt_overlap, 0);
    for (; created < nthreads; created++)
        if (pthread_create(&t[created], NULL, cnt_thread, (void *)(intptr_t)iters) != 0)
            break;
    for (int i = 0; i < created; i++)
        pthread_join(t[i], NULL);
    free(t);
    char name[96];
    snprintf(name, sizeof(name), "%s: %d threads created", label, nthreads);
    CHECK(name, created == nthreads);
    snprintf(name, sizeof(name), "%s: count exactly %d", label, nthreads * iters);
    CHECK_EQ(name, cnt_value, (long)nthreads * iters);
    snprintf(name, sizeof(name), "%s: never two holders", label);
    CHECK_EQ(name, atomic_load(&cnt_overlap), 0);
    return cnt_value == (long)nthreads * iters;
}

static pthread_mutex_t mk_m;
static int mk_r1, mk_r2, mk_r3;

static void *mutex_other_thread(void *arg)
{
    (void)arg;
    mk_r1 = pthread_mutex_trylock(&mk_m);
    struct timespec ts = abs_in(CLOCK_REALTIME, 50);
    long long t0 = t_now_us();
    mk_r2 = pthread_mutex_timedlock(&mk_m, &ts);
    mk_r3 = t_now_us() - t0 >= 45000;
    return NULL;
}

static void *unlock_foreign_thread(void *arg)
{
    return (void *)(intptr_t)pthread_mutex_unlock((pthread_mutex_t *)arg);
}

static void test_mutexes(void)
{
    run_counter("mutex 8x20000", 8, 20000);

    /* a held normal mutex, seen from another thread: trylock EBUSY, timedlock times out */
    pthread_mutex_init(&mk_m, NULL);
    pthread_mutex_lock(&mk_m);
    pthread_t t;
    pthread_create(&t, NULL, mutex_other_thread, NULL);
    pthread_join(t, NULL);
    CHECK_EQ("mutex: trylock from another thread EBUSY", mk_r1, EBUSY);
    CHECK_EQ("mutex: timedlock from another thread ETIMEDOUT", mk_r2, ETIMEDOUT);
    CHECK("mutex: timedlock waited >= 50ms", mk_r3);
    pthread_mutex_unlock(&mk_m);
    pthread_mutex_destroy(&mk_m);

    /* error-checking: relock EDEADLK, unlock by a non-owner EPERM */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t em;
    pthread_mutex_init(&em, &a);
    CHECK_EQ("errorcheck: lock", pthread_mutex_lock(&em), 0);
    CHECK_EQ("errorcheck: relock EDEADLK", pthread_mutex_lock(&em), EDEADLK);
    void *r = NULL;
    pthread_create(&t, NULL, unlock_foreign_thread, &em);
    pthread_join(t, &r);
    CHECK_EQ("errorcheck: unlock by another thread EPERM", (intptr_t)r, EPERM);
    CHECK_EQ("errorcheck: unlock", pthread_mutex_unlock(&em), 0);
    CHECK_EQ("errorcheck: unlock unlocked EPERM", pthread_mutex_unlock(&em), EPERM);
    pthread_mutex_destroy(&em);

    /* recursive: three locks need three unlocks before another thread can take it */
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&mk_m, &a);
    int ok = 1;
    for (int i = 0; i < 3; i++)
        ok &= pthread_mutex_lock(&mk_m) == 0;
    pthread_mutex_unlock(&mk_m);
    pthread_mutex_unlock(&mk_m);
    pthread_create(&t, NULL, mutex_other_thread, NULL);
    pthread_join(t, NULL);
    CHECK("recursive: three locks", ok);
    CHECK_EQ("recursive: still held after two unlocks (EBUSY)", mk_r1, EBUSY);
    pthread_mutex_unlock(&mk_m);
    CHECK_EQ("recursive: free after the third unlock", pthread_mutex_trylock(&mk_m), 0);
    pthread_mutex_unlock(&mk_m);
    pthread_mutex_destroy(&mk_m);
    pthread_mutexattr_destroy(&a);
}

/* ---- condition variables ------------------------------------------------------------- */

#define PP_ROUNDS 2000
static pthread_mutex_t pp_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_c[2] = {PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};
static int pp_turn, pp_seq, pp_bad;

static void *pp_thread(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int r = 0; r < PP_ROUNDS; r++) {
        pthread_mutex_lock(&pp_m);
        while (pp_turn != me)
            pthread_cond_wait(&pp_c[me], &pp_m);
        if (pp_seq != 2 * r + me)
            pp_bad++;
        pp_seq++;
        pp_turn = !me;
        pthread_cond_signal(&pp_c[!me]);
        pthread_mutex_unlock(&pp_m);
    }
    return NULL;
}

#define BC_WAITERS 5
static pthread_mutex_t bc_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bc_c = PTHREAD_COND_INITIALIZER;
static int bc_waiting, bc_go, bc_woken;

static void *bc_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&bc_m);
    bc_waiting++;
    while (!bc_go)
        pthread_cond_wait(&bc_c, &bc_m);
    bc_woken++;
    pthread_mutex_unlock(&bc_m);
    return NULL;
}

static int tw_ret_rt, tw_ret_mono, tw_long_rt, tw_long_mono, tw_sig_ret, tw_sig_got;
static pthread_mutex_t tw_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tw_c = PTHREAD_COND_INITIALIZER;
static int tw_flag;

static void *tw_thread(void *arg)
{
    (void)arg;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_t mono;
    pthread_cond_init(&mono, &ca);
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t rt = PTHREAD_COND_INITIALIZER;

    pthread_mutex_lock(&m);
    long long t0 = t_now_us();
    struct timespec ts = abs_in(CLOCK_REALTIME, 40);
    tw_ret_rt = pthread_cond_timedwait(&rt, &m, &ts);
    tw_long_rt = t_now_us() - t0 >= 35000;
    t0 = t_now_us();
    ts = abs_in(CLOCK_MONOTONIC, 40);
    tw_ret_mono = pthread_cond_timedwait(&mono, &m, &ts);
    tw_long_mono = t_now_us() - t0 >= 35000;
    pthread_mutex_unlock(&m);
    pthread_cond_destroy(&mono);
    pthread_condattr_destroy(&ca);

    /* a timed wait that is signalled well before its deadline */
    pthread_mutex_lock(&tw_m);
    ts = abs_in(CLOCK_REALTIME, WAIT_MS);
    tw_sig_ret = 0;
    while (!tw_flag && tw_sig_ret == 0)
        tw_sig_ret = pthread_cond_timedwait(&tw_c, &tw_m, &ts);
    tw_sig_got = tw_flag;
    pthread_mutex_unlock(&tw_m);
    return NULL;
}

static void test_condvars(void)
{
    pthread_t t[BC_WAITERS];
    int ok = pthread_create(&t[0], NULL, pp_thread, (void *)0) == 0;
    ok &= pthread_create(&t[1], NULL, pp_thread, (void *)1) == 0;
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    CHECK("cond ping-pong: threads created", ok);
    CHECK_EQ("cond ping-pong: 2x2000 turns", pp_seq, 2 * PP_ROUNDS);
    CHECK_EQ("cond ping-pong: strictly alternating", pp_bad, 0);

    for (int i = 0; i < BC_WAITERS; i++)
        pthread_create(&t[i], NULL, bc_thread, NULL);
    /* bc_waiting is counted under the mutex before each waiter sleeps, so once it is 5
     * with the mutex held here, all five are inside pthread_cond_wait */
    long long end = t_now_us() + WAIT_MS * 1000LL;
    for (;;) {
        pthread_mutex_lock(&bc_m);
        if (bc_waiting == BC_WAITERS || t_now_us() > end)
            break;
        pthread_mutex_unlock(&bc_m);
        sleep_ms(1);
    }
    int all_waiting = bc_waiting == BC_WAITERS;
    bc_go = 1;
    pthread_cond_broadcast(&bc_c);
    pthread_mutex_unlock(&bc_m);
    int joined = 0;
    for (int i = 0; i < BC_WAITERS; i++)
        joined += join_within(t[i], NULL, WAIT_MS) == 0;
    CHECK("cond broadcast: 5 waiters waiting", all_waiting);
    CHECK_EQ("cond broadcast: all 5 woke and exited", joined, BC_WAITERS);
    CHECK_EQ("cond broadcast: woken count", bc_woken, BC_WAITERS);

    pthread_create(&t[0], NULL, tw_thread, NULL);
    sleep_ms(150); /* past both 40ms timeouts; the thread is now in its long wait */
    pthread_mutex_lock(&tw_m);
    tw_flag = 1;
    pthread_cond_signal(&tw_c);
    pthread_mutex_unlock(&tw_m);
    CHECK_EQ("cond timedwait: joined", join_within(t[0], NULL, 2 * WAIT_MS), 0);
    CHECK_EQ("cond timedwait (realtime): ETIMEDOUT", tw_ret_rt, ETIMEDOUT);
    CHECK("cond timedwait (realtime): waited >= 40ms", tw_long_rt);
    CHECK_EQ("cond timedwait (monotonic): ETIMEDOUT", tw_ret_mono, ETIMEDOUT);
    CHECK("cond timedwait (monotonic): waited >= 40ms", tw_long_mono);
    CHECK_EQ("cond timedwait: signalled before the deadline", tw_sig_ret, 0);
    CHECK("cond timedwait: saw the predicate", tw_sig_got);
}

/* ---- barriers ------------------------------------------------------------------------ */

#define BAR_THREADS 4
#define BAR_ROUNDS 100
static pthread_barrier_t bar;
static int bar_slot[2][BAR_THREADS];
static atomic_int bar_serial, bar_bad;

static void *bar_thread(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int r = 0; r < BAR_ROUNDS; r++) {
        bar_slot[r % 2][me] = r;
        int rc = pthread_barrier_wait(&bar);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&bar_serial, 1);
        else if (rc != 0)
            atomic_fetch_add(&bar_bad, 1);
        for (int i = 0; i < BAR_THREADS; i++)
            if (bar_slot[r % 2][i] != r)
                atomic_fetch_add(&bar_bad, 1);
    }
    return NULL;
}

static void test_barrier(void)
{
    pthread_barrier_init(&bar, NULL, BAR_THREADS);
    pthread_t t[BAR_THREADS];
    for (int i = 0; i < BAR_THREADS; i++)
        pthread_create(&t[i], NULL, bar_thread, (void *)(intptr_t)i);
    for (int i = 0; i < BAR_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&bar);
    CHECK_EQ("barrier 4x100: one serial thread per round", atomic_load(&bar_serial), BAR_ROUNDS);
    CHECK_EQ("barrier 4x100: everyone's write seen after each wait", atomic_load(&bar_bad), 0);
}

/* ---- rwlocks ------------------------------------------------------------------------- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int rw_inside, rw_all_met;

static void *rw_reader_meet(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&rw);
    atomic_fetch_add(&rw_inside, 1);
    if (wait_for(&rw_inside, 4, WAIT_MS)) /* all four hold the read lock at once */
        atomic_fetch_add(&rw_all_met, 1);
    pthread_rwlock_unlock(&rw);
    return NULL;
}

static atomic_int rw_w_waiting, rw_w_got, rw_w_release;
static int rw_w_try, rw_w_timed;

static void *rw_writer(void *arg)
{
    (void)arg;
    rw_w_try = pthread_rwlock_trywrlock(&rw);
    struct timespec ts = abs_in(CLOCK_REALTIME, 30);
    rw_w_timed = pthread_rwlock_timedwrlock(&rw, &ts);
    atomic_store(&rw_w_waiting, 1);
    pthread_rwlock_wrlock(&rw);
    atomic_store(&rw_w_got, 1);
    wait_for(&rw_w_release, 1, WAIT_MS);
    pthread_rwlock_unlock(&rw);
    return NULL;
}

static long rw_a, rw_b;
static atomic_int rw_mismatch;

static void *rw_stress_writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_rwlock_wrlock(&rw);
        rw_a++;
        sched_yield();
        rw_b++;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void *rw_stress_reader(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_rwlock_rdlock(&rw);
        if (*(volatile long *)&rw_a != *(volatile long *)&rw_b)
            atomic_fetch_add(&rw_mismatch, 1);
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void test_rwlock(void)
{
    pthread_t t[5];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, rw_reader_meet, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ("rwlock: 4 readers hold the lock at once", atomic_load(&rw_all_met), 4);

    /* main holds a read lock: a writer is excluded until it is released */
    pthread_rwlock_rdlock(&rw);
    pthread_create(&t[0], NULL, rw_writer, NULL);
    int waiting = wait_for(&rw_w_waiting, 1, WAIT_MS);
    sleep_ms(50);
    int got_early = atomic_load(&rw_w_got);
    pthread_rwlock_unlock(&rw);
    int got = wait_for(&rw_w_got, 1, WAIT_MS);
    int try_rd = pthread_rwlock_tryrdlock(&rw), try_wr = pthread_rwlock_trywrlock(&rw);
    atomic_store(&rw_w_release, 1);
    CHECK_EQ("rwlock: writer joined", join_within(t[0], NULL, 2 * WAIT_MS), 0);
    CHECK_EQ("rwlock: trywrlock under a reader EBUSY", rw_w_try, EBUSY);
    CHECK_EQ("rwlock: timedwrlock under a reader ETIMEDOUT", rw_w_timed, ETIMEDOUT);
    CHECK("rwlock: writer waiting", waiting);
    CHECK("rwlock: writer excluded while the read lock is held", !got_early);
    CHECK("rwlock: writer gets the lock once the reader leaves", got);
    CHECK_EQ("rwlock: tryrdlock under the writer EBUSY", try_rd, EBUSY);
    CHECK_EQ("rwlock: trywrlock under the writer EBUSY", try_wr, EBUSY);
    int free_again = pthread_rwlock_tryrdlock(&rw);
    if (free_again == 0)
        pthread_rwlock_unlock(&rw);
    CHECK_EQ("rwlock: free after the writer unlocks", free_again, 0);

    /* writers keep a == b; readers must never see them differ */
    pthread_create(&t[0], NULL, rw_stress_writer, NULL);
    pthread_create(&t[1], NULL, rw_stress_writer, NULL);
    for (int i = 2; i < 5; i++)
        pthread_create(&t[i], NULL, rw_stress_reader, NULL);
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    CHECK("rwlock stress: 2 writers x 2000 counted", rw_a == 4000 && rw_b == 4000);
    CHECK_EQ("rwlock stress: readers never saw a half-done write", atomic_load(&rw_mismatch), 0);
}

/* ---- join values, detached threads, churn -------------------------------------------- */

__attribute__((noinline)) static void exit_inner(intptr_t v)
{
    pthread_exit((void *)v);
}

__attribute__((noinline)) static void exit_outer(intptr_t v)
{
    exit_inner(v);
}

static void *ret_thread(void *arg)
{
    intptr_t i = (intptr_t)arg;
    if (i % 3 == 1)
        exit_outer(i * 7 + 1); /* pthread_exit from a nested call */
    if (i % 3 == 2)
        sleep_ms(20); /* still running when joined */
    return (void *)(i * 7 + 1);
}

static sem_t det_sem;
static atomic_int det_ran;

static void *det_thread(void *arg)
{
    (void)arg;
    atomic_fetch_add(&det_ran, 1);
    sem_post(&det_sem);
    return NULL;
}

static void *churn_thread(void *arg)
{
    return (void *)((intptr_t)arg + 1);
}

#define ALIVE_N 50
static pthread_barrier_t alive_bar;
static pid_t alive_tid[ALIVE_N];

static void *alive_thread(void *arg)
{
    int i = (int)(intptr_t)arg;
    alive_tid[i] = my_tid();
    pthread_barrier_wait(&alive_bar);
    return (void *)(intptr_t)(i + 1000);
}

static void *stack_thread(void *arg)
{
    char local;
    uintptr_t here = (uintptr_t)&local, lo = (uintptr_t)arg;
    return (void *)(intptr_t)(here > lo && here < lo + 256 * 1024);
}

static void test_join_churn(void)
{
    pthread_t t[ALIVE_N];
    for (int i = 0; i < 12; i++)
        pthread_create(&t[i], NULL, ret_thread, (void *)(intptr_t)i);
    sleep_ms(5); /* some have exited before they are joined */
    int ok = 1;
    for (int i = 0; i < 12; i++) {
        void *r = NULL;
        ok &= pthread_join(t[i], &r) == 0 && (intptr_t)r == i * 7 + 1;
    }
    CHECK("join: 12 return values (return and pthread_exit)", ok);

    sem_init(&det_sem, 0, 0);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    ok = 1;
    for (int i = 0; i < 10; i++)
        ok &= pthread_create(&t[i], &a, det_thread, NULL) == 0;
    pthread_create(&t[10], NULL, det_thread, NULL);
    ok &= pthread_detach(t[10]) == 0;
    int posted = 0;
    for (int i = 0; i < 11; i++) {
        struct timespec ts = abs_in(CLOCK_REALTIME, WAIT_MS);
        posted += sem_timedwait(&det_sem, &ts) == 0;
    }
    pthread_attr_destroy(&a);
    CHECK("detached: created and detached", ok);
    CHECK_EQ("detached: all 11 ran", posted, 11);

    /* 2,000 threads one after another */
    long sum = 0;
    int created = 0;
    for (int i = 0; i < 2000; i++) {
        pthread_t c;
        void *r = NULL;
        if (pthread_create(&c, NULL, churn_thread, (void *)(intptr_t)i) != 0)
            break;
        created++;
        pthread_join(c, &r);
        sum += (intptr_t)r;
    }
    CHECK_EQ("churn: 2000 threads created and joined in sequence", created, 2000);
    CHECK_EQ("churn: return values sum", sum, 2000L * 2001 / 2);

    /* 50 alive at once */
    pthread_barrier_init(&alive_bar, NULL, ALIVE_N + 1);
    created = 0;
    for (int i = 0; i < ALIVE_N; i++)
        created += pthread_create(&t[i], NULL, alive_thread, (void *)(intptr_t)i) == 0;
    if (created == ALIVE_N)
        pthread_barrier_wait(&alive_bar);
    ok = 1;
    for (int i = 0; i < created; i++) {
        void *r = NULL;
        ok &= pthread_join(t[i], &r) == 0 && (intptr_t)r == i + 1000;
    }
    pthread_barrier_destroy(&alive_bar);
    int distinct = 1;
    for (int i = 0; i < ALIVE_N; i++)
        for (int j = 0; j < i; j++)
            distinct &= alive_tid[i] != alive_tid[j];
    CHECK_EQ("churn: 50 threads alive at once", created, ALIVE_N);
    CHECK("churn: 50 joined with their values", ok);
    CHECK("churn: 50 distinct tids", distinct);

    /* a thread on a stack the program supplies */
    size_t sz = 256 * 1024;
    char *stk = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_attr_init(&a);
    int set = pthread_attr_setstack(&a, stk, sz);
    void *r = NULL;
    int cr = pthread_create(&t[0], &a, stack_thread, stk);
    if (cr == 0)
        pthread_join(t[0], &r);
    pthread_attr_destroy(&a);
    CHECK("own stack: created", set == 0 && cr == 0);
    CHECK("own stack: the thread runs on it", (intptr_t)r == 1);
    munmap(stk, sz);
}

/* ---- thread-local storage and thread-specific data ---------------------------------- */

static __thread int tls_init = 42;
static __thread long tls_zero;
static __thread char tls_buf[64] = "initial";
#define TLS_THREADS 6
static pthread_barrier_t tls_bar;
static void *tls_addr[TLS_THREADS];
static atomic_int tls_bad;
static pthread_key_t key;
static atomic_int key_dtor_calls, key_dtor_bad;

static void key_dtor(void *v)
{
    atomic_fetch_add(&key_dtor_calls, 1);
    if ((intptr_t)v < 100 || (intptr_t)v >= 100 + TLS_THREADS)
        atomic_fetch_add(&key_dtor_bad, 1);
}

static void *tls_thread(void *arg)
{
    int me = (int)(intptr_t)arg;
    if (tls_init != 42 || tls_zero != 0 || strcmp(tls_buf, "initial") != 0)
        atomic_fetch_add(&tls_bad, 1);
    if (pthread_getspecific(key) != NULL)
        atomic_fetch_add(&tls_bad, 1);
    tls_init = me;
    tls_zero = me * 1000L;
    snprintf(tls_buf, sizeof(tls_buf), "thread %d", me);
    tls_addr[me] = &tls_init;
    pthread_setspecific(key, (void *)(intptr_t)(100 + me));
    pthread_barrier_wait(&tls_bar); /* everyone has written their own copy */
    char want[64];
    snprintf(want, sizeof(want), "thread %d", me);
    if (tls_init != me || tls_zero != me * 1000L || strcmp(tls_buf, want) != 0)
        atomic_fetch_add(&tls_bad, 1);
    if ((intptr_t)pthread_getspecific(key) != 100 + me)
        atomic_fetch_add(&tls_bad, 1);
    return NULL;
}

static void test_tls(void)
{
    tls_init = -1;
    strcpy(tls_buf, "main");
    pthread_key_create(&key, key_dtor);
    pthread_setspecific(key, (void *)(intptr_t)7); /* main's: no destructor (no exit) */
    pthread_barrier_init(&tls_bar, NULL, TLS_THREADS);
    pthread_t t[TLS_THREADS];
    for (int i = 0; i < TLS_THREADS; i++)
        pthread_create(&t[i], NULL, tls_thread, (void *)(intptr_t)i);
    for (int i = 0; i < TLS_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&tls_bar);
    int distinct = 1;
    for (int i = 0; i < TLS_THREADS; i++) {
        distinct &= tls_addr[i] != &tls_init;
        for (int j = 0; j < i; j++)
            distinct &= tls_addr[i] != tls_addr[j];
    }
    CHECK_EQ("tls: initial values and own copies in every thread", atomic_load(&tls_bad), 0);
    CHECK("tls: addresses distinct per thread", distinct);
    CHECK("tls: main's copy untouched", tls_init == -1 && strcmp(tls_buf, "main") == 0);
    CHECK("tsd: main's value untouched", (intptr_t)pthread_getspecific(key) == 7);
    CHECK_EQ("tsd: destructor ran once per exited thread", atomic_load(&key_dtor_calls),
             TLS_THREADS);
    CHECK_EQ("tsd: destructor got each thread's value", atomic_load(&key_dtor_bad), 0);
    pthread_key_delete(key);
}

/* ---- semaphores ---------------------------------------------------------------------- */

#define SEM_ROUNDS 2000
static sem_t sem_a, sem_b;
static int sem_turns;

static void *sem_pong(void *arg)
{
    (void)arg;
    for (int i = 0; i < SEM_ROUNDS; i++) {
        while (sem_wait(&sem_a) != 0)
            ;
        sem_turns++;
        sem_post(&sem_b);
    }
    return NULL;
}

static void *sem_late_post(void *arg)
{
    sleep_ms(30);
    sem_post(arg);
    return NULL;
}

static void test_semaphores(void)
{
    sem_init(&sem_a, 0, 0);
    sem_init(&sem_b, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, sem_pong, NULL);
    int ok = 1;
    for (int i = 0; i < SEM_ROUNDS; i++) {
        sem_post(&sem_a);
        while (sem_wait(&sem_b) != 0)
            ;
        ok &= sem_turns == i + 1;
    }
    pthread_join(t, NULL);
    CHECK("sem ping-pong: 2000 rounds in step", ok && sem_turns == SEM_ROUNDS);

    CHECK_ERR("sem_trywait on 0: EAGAIN", sem_trywait(&sem_a), EAGAIN);
    struct timespec ts = abs_in(CLOCK_REALTIME, 50);
    long long t0 = t_now_us();
    CHECK_ERR("sem_timedwait on 0: ETIMEDOUT", sem_timedwait(&sem_a, &ts), ETIMEDOUT);
    CHECK("sem_timedwait: waited >= 50ms", t_now_us() - t0 >= 45000);
    ts = abs_in(CLOCK_REALTIME, -1000);
    CHECK_ERR("sem_timedwait with a past deadline: ETIMEDOUT", sem_timedwait(&sem_a, &ts),
              ETIMEDOUT);

    pthread_create(&t, NULL, sem_late_post, &sem_a);
    ts = abs_in(CLOCK_REALTIME, WAIT_MS);
    CHECK_EQ("sem_timedwait: posted by another thread", sem_timedwait(&sem_a, &ts), 0);
    pthread_join(t, NULL);

    for (int i = 0; i < 5; i++)
        sem_post(&sem_b);
    int v = -1;
    sem_getvalue(&sem_b, &v);
    CHECK_EQ("sem_getvalue after 5 posts", v, 5);
    sem_destroy(&sem_a);
    sem_destroy(&sem_b);
}

/* ---- thread-directed signals --------------------------------------------------------- */

struct target {
    pthread_t self;
    pid_t tid;
    atomic_int ready, done;
};

/* Waits, SIGUSR1 blocked, in sigsuspend with SIGUSR1 allowed: only a signal meant for this
 * thread (or taken by it) wakes it. */
static void *suspend_thread(void *arg)
{
    struct target *k = arg;
    k->self = pthread_self();
    k->tid = my_tid();
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    sigdelset(&m, SIGUSR1);
    atomic_store(&k->ready, 1);
    sigsuspend(&m);
    atomic_store(&k->done, 1);
    return NULL;
}

static atomic_int rd_state;
static ssize_t rd_ret;
static int rd_err;

static void *read_thread(void *arg)
{
    int fd = *(int *)arg;
    char c;
    atomic_store(&rd_state, 1);
    rd_ret = read(fd, &c, 1);
    rd_err = errno;
    atomic_store(&rd_state, 2);
    return NULL;
}

static void test_thread_signals(void)
{
    install_rec(SIGUSR1);
    install_rec(SIGUSR2);
    block_sigs(SIG_BLOCK, SIGUSR1, 0); /* inherited by the targets */
    static struct target k[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, suspend_thread, &k[i]);
    int ready = 1;
    for (int i = 0; i < 3; i++)
        ready &= wait_for(&k[i].ready, 1, WAIT_MS);
    CHECK("tkill: 3 targets waiting", ready);
    atomic_store(&h_count, 0);
    /* thread 1 by pthread_kill, thread 0 by the raw tgkill, thread 2 by pthread_kill */
    const int order[3] = {1, 0, 2};
    const char *how[3] = {"pthread_kill", "tgkill", "pthread_kill"};
    for (int step = 0; step < 3; step++) {
        int i = order[step];
        int r;
        if (step == 1)
            r = syscall(SYS_tgkill, getpid(), k[i].tid, SIGUSR1);
        else
            r = pthread_kill(t[i], SIGUSR1);
        int done = wait_for(&k[i].done, 1, WAIT_MS);
        sleep_ms(10); /* a wrong delivery would have time to wake another thread */
        char name[96];
        snprintf(name, sizeof(name), "tkill %d (%s): sent", step, how[step]);
        CHECK_EQ(name, r, 0);
        snprintf(name, sizeof(name), "tkill %d (%s): target woke", step, how[step]);
        CHECK(name, done);
        snprintf(name, sizeof(name), "tkill %d (%s): handler ran once", step, how[step]);
        CHECK_EQ(name, atomic_load(&h_count), step + 1);
        snprintf(name, sizeof(name), "tkill %d (%s): handler's pthread_self is the target",
                 step, how[step]);
        CHECK(name, pthread_equal(h_self[step], t[i]));
        snprintf(name, sizeof(name), "tkill %d (%s): handler's gettid is the target's", step,
                 how[step]);
        CHECK(name, h_tid[step] == k[i].tid);
        int others = 0;
        for (int s = step + 1; s < 3; s++)
            others += atomic_load(&k[order[s]].done);
        snprintf(name, sizeof(name), "tkill %d (%s): other threads still waiting", step,
                 how[step]);
        CHECK_EQ(name, others, 0);
    }
    for (int i = 0; i < 3; i++)
        join_within(t[i], NULL, WAIT_MS);
    block_sigs(SIG_UNBLOCK, SIGUSR1, 0);

    /* a thread blocked in read() of a pipe gets EINTR from a pthread_kill'd handler
     * (resent until the read returns, since the first may arrive before the read starts) */
    int p[2];
    pipe(p);
    atomic_store(&rd_state, 0);
    pthread_t r;
    pthread_create(&r, NULL, read_thread, &p[0]);
    wait_for(&rd_state, 1, WAIT_MS);
    long long end = t_now_us() + WAIT_MS * 1000LL;
    while (atomic_load(&rd_state) < 2 && t_now_us() < end) {
        pthread_kill(r, SIGUSR1);
        sleep_ms(20);
    }
    if (atomic_load(&rd_state) < 2)
        write(p[1], "x", 1); /* unstick it: the check below fails */
    pthread_join(r, NULL);
    CHECK("read in a thread: -1 EINTR after pthread_kill", rd_ret == -1 && rd_err == EINTR);
    close(p[0]);
    close(p[1]);
}

/* ---- process-directed signals -------------------------------------------------------- */

static sem_t by_sem;
static atomic_int by_ready;

static void *bystander(void *arg)
{
    (void)arg; /* SIGUSR2 blocked, inherited from main */
    atomic_fetch_add(&by_ready, 1);
    while (sem_wait(&by_sem) != 0)
        ;
    return NULL;
}

static atomic_int sp_ready, sp_done;
static pthread_t sp_self;
static int sp_handled_in_self;

/* SIGUSR2 unblocked, busy in a loop of sched_yield until a handler has run */
static void *spinner(void *arg)
{
    (void)arg;
    sp_self = pthread_self();
    block_sigs(SIG_UNBLOCK, SIGUSR2, 0);
    atomic_store(&sp_ready, 1);
    long long end = t_now_us() + WAIT_MS * 1000LL;
    while (atomic_load(&h_count) == 0 && t_now_us() < end)
        sched_yield();
    block_sigs(SIG_BLOCK, SIGUSR2, 0);
    sp_handled_in_self = atomic_load(&h_count) == 1 && pthread_equal(h_self[0], pthread_self());
    atomic_store(&sp_done, 1);
    return NULL;
}

static atomic_int un_go, un_done;
static int un_count_at_return, un_in_self;

/* keeps SIGUSR2 blocked until told, then unblocks it: a pending process-directed SIGUSR2
 * must be delivered to this thread before pthread_sigmask returns */
static void *unblocker(void *arg)
{
    (void)arg;
    wait_for(&un_go, 1, WAIT_MS);
    block_sigs(SIG_UNBLOCK, SIGUSR2, 0);
    un_count_at_return = atomic_load(&h_count);
    un_in_self = pthread_equal(h_self[0], pthread_self());
    atomic_store(&un_done, 1);
    return NULL;
}

/* sigsuspend with SIGUSR2 allowed (the thread otherwise blocks it) */
static atomic_int ss_ready, ss_done;
static void *suspend_usr2(void *arg)
{
    (void)arg;
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    sigdelset(&m, SIGUSR2);
    atomic_store(&ss_ready, 1);
    sigsuspend(&m);
    atomic_store(&ss_done, 1);
    return NULL;
}

static void test_process_signals(void)
{
    block_sigs(SIG_BLOCK, SIGUSR2, 0);
    sem_init(&by_sem, 0, 0);
    pthread_t by[3], t;
    for (int i = 0; i < 3; i++)
        pthread_create(&by[i], NULL, bystander, NULL);
    wait_for(&by_ready, 3, WAIT_MS);

    /* (a) the only thread allowing SIGUSR2 waits in sigsuspend */
    atomic_store(&h_count, 0);
    pthread_create(&t, NULL, suspend_usr2, NULL);
    wait_for(&ss_ready, 1, WAIT_MS);
    CHECK_OK("kill to the process (target in sigsuspend)", kill(getpid(), SIGUSR2));
    int done = wait_for(&ss_done, 1, WAIT_MS);
    CHECK("kill, sigsuspend target: woke", done);
    CHECK_EQ("kill, sigsuspend target: handler ran once", atomic_load(&h_count), 1);
    CHECK("kill, sigsuspend target: in the unblocking thread", pthread_equal(h_self[0], t));
    if (done)
        pthread_join(t, NULL);

    /* (b) the only thread allowing SIGUSR2 is running (sched_yield loop) */
    atomic_store(&h_count, 0);
    pthread_create(&t, NULL, spinner, NULL);
    wait_for(&sp_ready, 1, WAIT_MS);
    CHECK_OK("kill to the process (target running)", kill(getpid(), SIGUSR2));
    done = wait_for(&sp_done, 1, 2 * WAIT_MS);
    CHECK("kill, running target: handled in that thread", done && sp_handled_in_self);
    pthread_join(t, NULL);

    /* (c) everyone blocks it: it stays pending until one thread unblocks it */
    atomic_store(&h_count, 0);
    pthread_create(&t, NULL, unblocker, NULL);
    CHECK_OK("kill to the process (all blocking)", kill(getpid(), SIGUSR2));
    sleep_ms(30);
    CHECK_EQ("kill, all blocking: not delivered", atomic_load(&h_count), 0);
    CHECK("kill, all blocking: pending for the process", pending_now(SIGUSR2));
    atomic_store(&un_go, 1);
    done = wait_for(&un_done, 1, WAIT_MS);
    CHECK("kill, all blocking: unblocking thread finished", done);
    CHECK_EQ("kill, all blocking: delivered before pthread_sigmask returned", un_count_at_return,
             1);
    CHECK("kill, all blocking: delivered to the unblocking thread", un_in_self);
    CHECK("kill, all blocking: no longer pending", !pending_now(SIGUSR2));
    pthread_join(t, NULL);

    for (int i = 0; i < 3; i++)
        sem_post(&by_sem);
    int joined = 0;
    for (int i = 0; i < 3; i++)
        joined += join_within(by[i], NULL, WAIT_MS) == 0;
    CHECK_EQ("kill: bystanders (blocking it) never woke early and exit", joined, 3);
    CHECK_EQ("kill: handler ran exactly once per signal", atomic_load(&h_count), 1);
    sem_destroy(&by_sem);
    block_sigs(SIG_UNBLOCK, SIGUSR2, 0);
}

/* ---- sigwait family in a thread ------------------------------------------------------ */

static atomic_int sw_phase;
static pid_t sw_tid;
static int sw_sig[2], sw_code[2], sw_pid_ok[2], sw_wait_ret, sw_wait_sig, sw_tw_ret, sw_tw_err,
    sw_tw_long;

static void *sigwait_thread(void *arg)
{
    pid_t pid = *(pid_t *)arg;
    sw_tid = my_tid();
    sigset_t s1, s2;
    sigemptyset(&s1);
    sigaddset(&s1, SIGUSR1);
    sigemptyset(&s2);
    sigaddset(&s2, SIGUSR2);
    atomic_store(&sw_phase, 1);
    for (int i = 0; i < 2; i++) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        /* glibc's sigwaitinfo reports SI_TKILL as SI_USER: the second wait is the raw one */
        sw_sig[i] = i == 0 ? sigwaitinfo(&s1, &si) : raw_sigwaitinfo(&s1, &si);
        sw_code[i] = si.si_code;
        sw_pid_ok[i] = si.si_pid == pid;
        atomic_store(&sw_phase, 2 + i);
    }
    sw_wait_ret = sigwait(&s2, &sw_wait_sig);
    struct timespec ts = {0, 40 * 1000000L};
    long long t0 = t_now_us();
    siginfo_t si;
    sw_tw_ret = sigtimedwait(&s1, &si, &ts);
    sw_tw_err = errno;
    sw_tw_long = t_now_us() - t0 >= 35000;
    return NULL;
}

static void test_sigwait(void)
{
    block_sigs(SIG_BLOCK, SIGUSR1, SIGUSR2); /* in every thread: only sigwait takes them */
    pid_t pid = getpid();
    pthread_t t;
    pthread_create(&t, NULL, sigwait_thread, &pid);
    wait_for(&sw_phase, 1, WAIT_MS);
    kill(pid, SIGUSR1); /* process-directed; may be pending before the thread waits */
    int p2 = wait_for(&sw_phase, 2, WAIT_MS);
    syscall(SYS_tgkill, pid, sw_tid, SIGUSR1);
    int p3 = wait_for(&sw_phase, 3, WAIT_MS);
    pthread_kill(t, SIGUSR2);
    CHECK_EQ("sigwait thread: joined", join_within(t, NULL, WAIT_MS), 0);
    CHECK("sigwaitinfo in a thread: kill() taken", p2 && sw_sig[0] == SIGUSR1);
    CHECK_EQ("sigwaitinfo in a thread: kill() si_code SI_USER", sw_code[0], SI_USER);
    CHECK("sigwaitinfo in a thread: kill() si_pid", sw_pid_ok[0]);
    CHECK("sigwaitinfo in a thread: tgkill taken", p3 && sw_sig[1] == SIGUSR1);
    CHECK_EQ("sigwaitinfo in a thread: tgkill si_code SI_TKILL", sw_code[1], SI_TKILL);
    CHECK("sigwaitinfo in a thread: tgkill si_pid", sw_pid_ok[1]);
    CHECK("sigwait in a thread: pthread_kill SIGUSR2",
          sw_wait_ret == 0 && sw_wait_sig == SIGUSR2);
    CHECK("sigtimedwait in a thread: -1 EAGAIN", sw_tw_ret == -1 && sw_tw_err == EAGAIN);
    CHECK("sigtimedwait in a thread: waited >= 40ms", sw_tw_long);
    CHECK("sigwait: nothing left pending", !pending_now(SIGUSR1) && !pending_now(SIGUSR2));
    block_sigs(SIG_UNBLOCK, SIGUSR1, SIGUSR2);
}

/* ---- per-thread masks and pending sets ----------------------------------------------- */

static atomic_int pm_phase;
static int pm_inherited, pm_own_blocked, pm_raw_mask_ok, pm_own_pending, pm_sees_process,
    pm_took_own, pm_own_code;

static void *mask_thread(void *arg)
{
    (void)arg;
    pm_inherited = blocked_now(SIGUSR1) && blocked_now(SIGALRM) && !blocked_now(SIGUSR2);
    block_sigs(SIG_BLOCK, SIGUSR2, 0);
    pm_own_blocked = blocked_now(SIGUSR2);
    uint64_t raw = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &raw, 8);
    pm_raw_mask_ok = (raw >> (SIGUSR2 - 1) & 1) && (raw >> (SIGUSR1 - 1) & 1);
    syscall(SYS_tgkill, getpid(), my_tid(), SIGUSR1); /* pending for this thread only */
    pm_own_pending = pending_now(SIGUSR1);
    atomic_store(&pm_phase, 1);
    wait_for(&pm_phase, 2, WAIT_MS);
    pm_sees_process = pending_now(SIGALRM); /* sent to the process by main */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    siginfo_t si;
    pm_took_own = raw_sigwaitinfo(&s, &si) == SIGUSR1;
    pm_own_code = si.si_code;
    atomic_store(&pm_phase, 3);
    return NULL;
}

static void test_masks(void)
{
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, NULL, &old);
    install_rec(SIGALRM); /* a stray delivery (a bug) is logged rather than fatal */
    block_sigs(SIG_BLOCK, SIGUSR1, SIGALRM);
    pthread_t t;
    pthread_create(&t, NULL, mask_thread, NULL);
    int p1 = wait_for(&pm_phase, 1, WAIT_MS);
    CHECK("sigmask: thread started", p1);
    CHECK("sigmask: a new thread inherits the creator's mask", pm_inherited);
    CHECK("sigmask: the thread blocks SIGUSR2 for itself", pm_own_blocked);
    CHECK("sigmask: raw rt_sigprocmask in the thread agrees", pm_raw_mask_ok);
    CHECK("sigmask: main's mask unchanged by the thread", !blocked_now(SIGUSR2));
    CHECK("sigpending: thread sees its own tgkill'd SIGUSR1", pm_own_pending);
    CHECK("sigpending: main does not see the thread's SIGUSR1", !pending_now(SIGUSR1));
    kill(getpid(), SIGALRM);
    CHECK("sigpending: main sees a process-directed SIGALRM", pending_now(SIGALRM));
    atomic_store(&pm_phase, 2);
    int p3 = wait_for(&pm_phase, 3, WAIT_MS);
    CHECK("sigpending: the thread sees it too", p3 && pm_sees_process);
    CHECK("sigwaitinfo: the thread takes its own SIGUSR1 (SI_TKILL)",
          pm_took_own && pm_own_code == SI_TKILL);
    join_within(t, NULL, WAIT_MS);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    siginfo_t si;
    CHECK_EQ("sigwaitinfo: main takes the process's SIGALRM", sigwaitinfo(&s, &si), SIGALRM);
    CHECK("sigpending: empty afterwards", !pending_now(SIGALRM) && !pending_now(SIGUSR1));
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- set*id with threads (glibc and musl signal every thread to apply it) ----------- */

static pthread_barrier_t xid_bar;
static atomic_int xid_bad;

static void *xid_thread(void *arg)
{
    pthread_barrier_wait(&xid_bar); /* waiting here when main calls setgid/setuid */
    pthread_barrier_wait(&xid_bar);
    if (getuid() != *(uid_t *)arg || getegid() != getgid())
        atomic_fetch_add(&xid_bad, 1);
    return NULL;
}

static void test_setxid(void)
{
    uid_t uid = getuid();
    pthread_barrier_init(&xid_bar, NULL, 4);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, xid_thread, &uid);
    pthread_barrier_wait(&xid_bar);
    sleep_ms(10);
    CHECK_OK("setgid(getgid()) with 3 other threads", setgid(getgid()));
    CHECK_OK("setuid(getuid()) with 3 other threads", setuid(uid));
    CHECK_OK("setresgid(-1,-1,-1) with 3 other threads", setresgid(-1, -1, -1));
    pthread_barrier_wait(&xid_bar);
    int joined = 0;
    for (int i = 0; i < 3; i++)
        joined += join_within(t[i], NULL, WAIT_MS) == 0;
    CHECK_EQ("set*id: threads carried on", joined, 3);
    CHECK_EQ("set*id: ids unchanged in the threads", atomic_load(&xid_bad), 0);
    pthread_barrier_destroy(&xid_bar);
}

/* ---- cancellation -------------------------------------------------------------------- */

static atomic_int cn_cleanups, cn_state;

static void cn_cleanup(void *arg)
{
    atomic_fetch_add(&cn_cleanups, 1);
    if (arg)
        pthread_mutex_unlock(arg);
}

static void *cancel_read_thread(void *arg)
{
    int fd = *(int *)arg;
    char c;
    pthread_cleanup_push(cn_cleanup, NULL);
    atomic_store(&cn_state, 1);
    read(fd, &c, 1);
    atomic_store(&cn_state, 2); /* not reached */
    pthread_cleanup_pop(0);
    return (void *)1;
}

static pthread_mutex_t cn_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cn_c = PTHREAD_COND_INITIALIZER;
static int cn_waiting, cn_never;

static void *cancel_cond_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cn_m);
    pthread_cleanup_push(cn_cleanup, &cn_m);
    cn_waiting = 1;
    while (!cn_never)
        pthread_cond_wait(&cn_c, &cn_m);
    pthread_cleanup_pop(1);
    return (void *)1;
}

static void *cancel_sleep_thread(void *arg)
{
    (void)arg;
    atomic_store(&cn_state, 1);
    sleep_ms(2 * WAIT_MS);
    return (void *)1;
}

static volatile unsigned long cn_spins;

static void *cancel_async_thread(void *arg)
{
    (void)arg;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    atomic_store(&cn_state, 1);
    long long end = t_now_us() + 2LL * WAIT_MS * 1000;
    while (t_now_us() < end) /* no cancellation point in this loop */
        for (int i = 0; i < 100000; i++)
            cn_spins++;
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
    return (void *)1;
}

static atomic_int dis_sent;
static int dis_survived;

static void *cancel_disabled_thread(void *arg)
{
    (void)arg;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    atomic_store(&cn_state, 1);
    wait_for(&dis_sent, 1, WAIT_MS); /* nanosleep: a cancellation point, but disabled */
    sleep_ms(20);
    dis_survived = 1;
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    pthread_testcancel();
    dis_survived = 2; /* not reached */
    return (void *)1;
}

static void test_cancel(void)
{
    int p[2];
    pipe(p);
    pthread_t t;
    void *r = NULL;

    atomic_store(&cn_state, 0);
    pthread_create(&t, NULL, cancel_read_thread, &p[0]);
    wait_for(&cn_state, 1, WAIT_MS);
    sleep_ms(20); /* most likely in read() by now; either way it ends canceled */
    CHECK_EQ("cancel in read(): pthread_cancel", pthread_cancel(t), 0);
    int jr = join_within(t, &r, WAIT_MS);
    if (jr != 0) {
        write(p[1], "x", 1); /* unstick it */
        pthread_join(t, &r);
    }
    CHECK_EQ("cancel in read(): joined in time", jr, 0);
    CHECK("cancel in read(): PTHREAD_CANCELED", r == PTHREAD_CANCELED);
    CHECK_EQ("cancel in read(): cleanup handler ran", atomic_load(&cn_cleanups), 1);
    CHECK_EQ("cancel in read(): read never returned", atomic_load(&cn_state), 1);
    close(p[0]);
    close(p[1]);

    pthread_create(&t, NULL, cancel_cond_thread, NULL);
    long long end = t_now_us() + WAIT_MS * 1000LL;
    for (;;) {
        pthread_mutex_lock(&cn_m);
        if (cn_waiting || t_now_us() > end)
            break;
        pthread_mutex_unlock(&cn_m);
        sleep_ms(1);
    }
    pthread_mutex_unlock(&cn_m); /* the thread is inside pthread_cond_wait now */
    pthread_cancel(t);
    jr = join_within(t, &r, WAIT_MS);
    CHECK_EQ("cancel in cond_wait: joined in time", jr, 0);
    CHECK("cancel in cond_wait: PTHREAD_CANCELED", jr == 0 && r == PTHREAD_CANCELED);
    CHECK_EQ("cancel in cond_wait: cleanup ran", atomic_load(&cn_cleanups), 2);
    int tl = pthread_mutex_trylock(&cn_m);
    CHECK_EQ("cancel in cond_wait: mutex released by the cleanup", tl, 0);
    if (tl == 0)
        pthread_mutex_unlock(&cn_m);

    atomic_store(&cn_state, 0);
    pthread_create(&t, NULL, cancel_sleep_thread, NULL);
    wait_for(&cn_state, 1, WAIT_MS);
    sleep_ms(20);
    pthread_cancel(t);
    jr = join_within(t, &r, WAIT_MS);
    CHECK("cancel in nanosleep: PTHREAD_CANCELED", jr == 0 && r == PTHREAD_CANCELED);

    atomic_store(&cn_state, 0);
    pthread_create(&t, NULL, cancel_async_thread, NULL);
    wait_for(&cn_state, 1, WAIT_MS);
    sleep_ms(20);
    pthread_cancel(t);
    jr = join_within(t, &r, 3 * WAIT_MS);
    CHECK("asynchronous cancel of a busy loop: PTHREAD_CANCELED",
          jr == 0 && r == PTHREAD_CANCELED);

    atomic_store(&cn_state, 0);
    pthread_create(&t, NULL, cancel_disabled_thread, NULL);
    wait_for(&cn_state, 1, WAIT_MS);
    pthread_cancel(t);
    atomic_store(&dis_sent, 1);
    jr = join_within(t, &r, WAIT_MS);
    CHECK("disabled cancel: the thread carried on", dis_survived == 1);
    CHECK("disabled cancel: acted on at pthread_testcancel", jr == 0 && r == PTHREAD_CANCELED);
}

/* ---- fork and exec with threads ------------------------------------------------------ */

static void *child_thread(void *arg)
{
    return (void *)((intptr_t)arg * 2);
}

static pthread_barrier_t fk_bar;
static pid_t fk_pid_exec, fk_pid_plain;
static int fk_exec_st = -1, fk_exec_wait;

/* Forks twice from a non-main thread while the others wait at a barrier (holding no lock):
 * a child that execs busybox true (waited for here), and a child that checks it is a
 * single-threaded process and can make threads itself (waited for by main). */
static void *fork_thread(void *arg)
{
    pid_t parent = *(pid_t *)arg;
    fk_pid_exec = fork();
    if (fk_pid_exec == 0) {
        char *argv[] = {"busybox", "true", NULL};
        char *envp[] = {"PATH=/usr/bin:/bin", NULL};
        execve("/bin/busybox", argv, envp);
        _exit(127);
    }
    fk_pid_plain = fork();
    if (fk_pid_plain == 0) {
        int code = 7;
        if (my_tid() != getpid())
            code = 10; /* the forking thread is the child's main thread */
        else if (getppid() != parent)
            code = 11;
        else {
            pthread_t c;
            void *r = NULL;
            if (pthread_create(&c, NULL, child_thread, (void *)21) != 0 ||
                pthread_join(c, &r) != 0 || (intptr_t)r != 42)
                code = 12;
        }
        _exit(code);
    }
    fk_exec_wait = waitpid(fk_pid_exec, &fk_exec_st, 0) == fk_pid_exec;
    pthread_barrier_wait(&fk_bar);
    return NULL;
}

static void *fk_idle(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&fk_bar);
    return NULL;
}

static void *exec_from_thread(void *arg)
{
    (void)arg;
    sleep_ms(20); /* let the others settle into their waits */
    char *argv[] = {"busybox", "sh", "-c", "exit 5", NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    execve("/bin/busybox", argv, envp);
    _exit(127);
}

static void *block_forever(void *arg)
{
    int fd = *(int *)arg;
    char c;
    for (;;)
        read(fd, &c, 1);
    return NULL;
}

static void test_fork_exec(void)
{
    pid_t me = getpid();
    pthread_barrier_init(&fk_bar, NULL, 4);
    pthread_t t[4];
    pthread_create(&t[0], NULL, fork_thread, &me);
    for (int i = 1; i < 3; i++)
        pthread_create(&t[i], NULL, fk_idle, NULL);
    pthread_barrier_wait(&fk_bar);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&fk_bar);
    CHECK("fork in a thread: waitpid in that thread", fk_exec_wait);
    CHECK("fork in a thread: child exec'd busybox true, exit 0", exited_with(fk_exec_st, 0));
    int st = -1;
    CHECK_EQ("fork in a thread: main waits for the thread's child",
             waitpid(fk_pid_plain, &st, 0), fk_pid_plain);
    CHECK("fork in a thread: child single-threaded, right parent, makes threads (exit 7)",
          exited_with(st, 7));

    /* a multithreaded child whose non-main thread execs: the others end with it */
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        pthread_t x;
        for (int i = 0; i < 3; i++)
            pthread_create(&x, NULL, block_forever, &p[0]);
        pthread_create(&x, NULL, exec_from_thread, NULL);
        for (;;)
            pause();
    }
    close(p[0]);
    st = -1;
    CHECK_EQ("exec from a thread: waitpid", waitpid(c, &st, 0), c);
    CHECK("exec from a thread: busybox sh ran (exit 5)", exited_with(st, 5));
    close(p[1]);

    /* a process-shared semaphore pair in shared memory, across fork */
    sem_t *ps = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(&ps[0], 1, 0);
    sem_init(&ps[1], 1, 0);
    c = fork();
    if (c == 0) {
        for (int i = 0; i < 200; i++) {
            struct timespec ts = abs_in(CLOCK_REALTIME, WAIT_MS);
            if (sem_timedwait(&ps[0], &ts) != 0)
                _exit(3);
            sem_post(&ps[1]);
        }
        _exit(0);
    }
    int rounds = 0;
    for (int i = 0; i < 200; i++) {
        sem_post(&ps[0]);
        struct timespec ts = abs_in(CLOCK_REALTIME, WAIT_MS);
        if (sem_timedwait(&ps[1], &ts) != 0)
            break;
        rounds++;
    }
    st = -1;
    waitpid(c, &st, 0);
    CHECK_EQ("process-shared sem across fork: 200 rounds", rounds, 200);
    CHECK("process-shared sem across fork: child exit 0", exited_with(st, 0));
    munmap(ps, 4096);
}

/* ---- the end: main leaves with pthread_exit, another thread finishes ---------------- */

static pid_t final_pid;

static void *final_thread(void *arg)
{
    (void)arg;
    sleep_ms(30); /* main has called pthread_exit by now */
    CHECK("after main's pthread_exit: the process lives on", getpid() == final_pid);
    CHECK("after main's pthread_exit: running in a non-main thread", my_tid() != final_pid);
    printf("done\n");
    exit(t_done());
}

int main(void)
{
    test_ids();
    test_mutexes();
    test_condvars();
    test_barrier();
    test_rwlock();
    test_join_churn();
    test_tls();
    test_semaphores();
    test_thread_signals();
    test_process_signals();
    test_sigwait();
    test_masks();
    test_setxid();
    test_cancel();
    test_fork_exec();
    run_counter("stress 64x10000", 64, 10000);

    final_pid = getpid();
    pthread_t t;
    if (pthread_create(&t, NULL, final_thread, NULL) != 0)
        return t_done();
    pthread_exit(NULL);
}
