// Arguments, environment and exit status: prints argv and the (sorted) environment, checks
// a few auxiliary-vector values, then exits with the status given as argv[1].
// args: 42 "two words" '' 'quote"s' ünïcödé -dash
// expect-status: 42
#include "t.h"
#include <sys/auxv.h>

extern char **environ;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=<%s>\n", i, argv[i]);
    CHECK("argv[argc] is NULL", argv[argc] == NULL);
    CHECK("argv[0] non-empty", argv[0] && argv[0][0]);

    int n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 1, sizeof(char *));
    memcpy(env, environ, n * sizeof(char *));
    qsort(env, n, sizeof(char *), cmp_str);
    for (int i = 0; i < n; i++)
        printf("env: %s\n", env[i]);
    free(env);

    CHECK_EQ("AT_PAGESZ", getauxval(AT_PAGESZ), 4096);
    CHECK("AT_RANDOM set", getauxval(AT_RANDOM) != 0);
    CHECK_EQ("AT_SECURE", getauxval(AT_SECURE), 0);
    CHECK("AT_UID matches getuid", getauxval(AT_UID) == getuid());
    CHECK("AT_ENTRY set", getauxval(AT_ENTRY) != 0);
    CHECK("AT_PHDR set", getauxval(AT_PHDR) != 0);
    CHECK("AT_EXECFN set", getauxval(AT_EXECFN) != 0);
    fflush(stdout);
    return argc > 1 ? atoi(argv[1]) : 0;
}
