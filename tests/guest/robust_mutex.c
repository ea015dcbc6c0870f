// A robust mutex whose owner thread ends holding it: the next locker gets EOWNERDEAD, can
// mark it consistent, and unlock it.
// cflags: -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <errno.h>
static pthread_mutex_t m;
static void *die_holding(void *a) { (void)a; pthread_mutex_lock(&m); return 0; }
int main(void) {
    pthread_mutexattr_t at; pthread_mutexattr_init(&at);
    pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&m, &at);
    pthread_t t; pthread_create(&t, 0, die_holding, 0); pthread_join(t, 0);
    int r = pthread_mutex_lock(&m);
    printf("lock after owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : "other");
    printf("consistent: %d\n", pthread_mutex_consistent(&m));
    printf("unlock: %d\n", pthread_mutex_unlock(&m));
    return 0;
}
