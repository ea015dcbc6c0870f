/* seal.c: the moment the sandbox closes. Order matters: handlers first (after the filter every
 * guest syscall traps), then no_new_privs (required by both), Landlock, and seccomp last,
 * since the Landlock and prctl calls are not on the allowlist. */
#include "host.h"

#define PR_SET_NO_NEW_PRIVS 38
#define PR_SET_CHILD_SUBREAPER 36

int plat_seal(const struct plat_tree *trees, int ntrees)
{
    int r = trap_install();
    if (r)
        return r;
    r = (int)hsys5(HNR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (r)
        return r;
    /* Orphaned host processes of the sandbox come back to this one (the host reaps them at
     * once, SIGCHLD being ignored), so none outlives the sandbox as some other process's
     * child. */
    r = (int)hsys5(HNR_prctl, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (r)
        return r;
    r = landlock_install(trees, ntrees);
    if (r)
        return r;
    return seccomp_install();
}
