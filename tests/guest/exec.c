// execve and friends: re-executing this program (argv, envp, argv[0] other than the path,
// the pid and parent kept, close-on-exec descriptors closed and others kept with their
// offsets, handled signals reset while ignored ones, the mask and pending signals stay,
// cwd and umask kept), execve errors (ENOENT, ENOTDIR, EACCES for a directory and for a
// file without an x bit, ENOEXEC, ELOOP, EFAULT, E2BIG), #! scripts (busybox sh, an
// interpreter argument, a missing interpreter), execveat (AT_EMPTY_PATH on an O_PATH
// descriptor, a directory descriptor, AT_SYMLINK_NOFOLLOW), vfork+execve, and posix_spawn
// (a missing program reports ENOENT in the parent, busybox true/false, file actions, a
// process group).
// setup-file: data.txt=0123456789
// setup-dir: sub
#include "t.h"
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static const char *self_path; /* argv[0]: the runner starts us by absolute path */
static char *clean_env[] = {"HUSK_T=exec", "PATH=/usr/bin:/bin", NULL};

static void on_sig(int sig)
{
    (void)sig;
}

/* --- the re-executed side --- */

static int reexec_main(int argc, char **argv)
{
    const char *mode = argv[2];
    printf("[new image] mode %s, argc=%d\n", mode, argc);
    if (strcmp(mode, "args") == 0) {
        printf("[new image] argv[0]=<%s>\n", argv[0]);
        for (int i = 3; i < argc; i++)
            printf("[new image] argv[%d]=<%s>\n", i, argv[i]);
        for (char **e = environ; *e; e++)
            printf("[new image] env %s\n", *e);
        return 0;
    }
    if (strcmp(mode, "same-path") == 0) {
        CHECK("[new image] argv[0] is the path", strcmp(argv[0], self_path) == 0);
        return t_done();
    }
    if (strcmp(mode, "ids") == 0) {
        CHECK("[new image] pid preserved", getpid() == atoi(argv[3]));
        CHECK("[new image] parent preserved", getppid() == atoi(argv[4]));
        CHECK("[new image] process group preserved", getpgrp() == atoi(argv[5]));
        char cwd[4096];
        CHECK("[new image] cwd preserved", getcwd(cwd, sizeof(cwd)) && strcmp(cwd, argv[6]) == 0);
        CHECK_EQ("[new image] umask preserved", umask(0), 027);
        return t_done();
    }
    if (strcmp(mode, "fds") == 0) {
        int ce = atoi(argv[3]), setfd = atoi(argv[4]), dupce = atoi(argv[5]),
            dup3ce = atoi(argv[6]), keep = atoi(argv[7]), pw = atoi(argv[8]);
        CHECK_ERR("[new image] O_CLOEXEC fd closed", fcntl(ce, F_GETFD), EBADF);
        CHECK_ERR("[new image] F_SETFD FD_CLOEXEC fd closed", fcntl(setfd, F_GETFD), EBADF);
        CHECK_ERR("[new image] F_DUPFD_CLOEXEC fd closed", fcntl(dupce, F_GETFD), EBADF);
        CHECK_ERR("[new image] dup3 O_CLOEXEC fd closed", fcntl(dup3ce, F_GETFD), EBADF);
        CHECK_EQ("[new image] plain fd kept, no FD_CLOEXEC", fcntl(keep, F_GETFD), 0);
        char buf[4] = {0};
        CHECK_EQ("[new image] kept fd reads", read(keep, buf, 3), 3);
        CHECK("[new image] kept fd kept its offset", strcmp(buf, "345") == 0);
        CHECK_EQ("[new image] stdout kept", fcntl(1, F_GETFD), 0);
        CHECK_EQ("[new image] pipe write end kept", write(pw, "via pipe", 8), 8);
        return t_done();
    }
    if (strcmp(mode, "sigs") == 0) {
        struct sigaction sa;
        sigset_t set;
        sigaction(SIGUSR1, NULL, &sa);
        CHECK("[new image] handled SIGUSR1 reset to SIG_DFL", sa.sa_handler == SIG_DFL);
        sigaction(SIGINT, NULL, &sa);
        CHECK("[new image] handled SIGINT reset to SIG_DFL", sa.sa_handler == SIG_DFL);
        CHECK("[new image] handled SIGINT: SA_RESTART|SA_SIGINFO cleared",
              (sa.sa_flags & (SA_RESTART | SA_SIGINFO)) == 0);
        sigaction(SIGUSR2, NULL, &sa);
        CHECK("[new image] ignored SIGUSR2 still SIG_IGN", sa.sa_handler == SIG_IGN);
        sigaction(SIGPIPE, NULL, &sa);
        CHECK("[new image] ignored SIGPIPE still SIG_IGN", sa.sa_handler == SIG_IGN);
        sigprocmask(SIG_BLOCK, NULL, &set);
        CHECK("[new image] SIGTERM still blocked", sigismember(&set, SIGTERM));
        CHECK("[new image] SIGHUP still blocked", sigismember(&set, SIGHUP));
        CHECK("[new image] SIGUSR1 not blocked", !sigismember(&set, SIGUSR1));
        sigpending(&set);
        CHECK("[new image] SIGHUP still pending", sigismember(&set, SIGHUP));
        CHECK("[new image] SIGTERM not pending", !sigismember(&set, SIGTERM));
        stack_t ss;
        CHECK("[new image] alternate signal stack disabled",
              sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE));
        return t_done();
    }
    if (strcmp(mode, "marker") == 0) {
        printf("[new image] marker %s\n", argv[3]);
        return 0;
    }
    printf("[new image] unknown mode\n");
    return 2;
}

/* --- helpers for the original image --- */

/* Runs execve(path, argv, envp) in a forked child; returns the child's wait status. A
 * failing execve makes the child exit with 200 + errno (errno < 50 here). */
static int exec_in_child(const char *path, char *const argv[], char *const envp[])
{
    pid_t p = fork();
    if (p == 0) {
        execve(path, argv, envp);
        _exit(200 + errno);
    }
    return reap(p);
}

static int execveat_in_child(int dirfd, const char *path, char *const argv[], int flags)
{
    pid_t p = fork();
    if (p == 0) {
        syscall(SYS_execveat, dirfd, path, argv, clean_env, flags);
        _exit(200 + errno);
    }
    return reap(p);
}

static int make_file(const char *path, const char *text, mode_t mode)
{
    if (t_write_file(path, text) != 0)
        return -1;
    return chmod(path, mode);
}

int main(int argc, char **argv)
{
    self_path = argv[0];
    if (argc >= 3 && strcmp(argv[1], "--reexec") == 0)
        return reexec_main(argc, argv);

    char *self = (char *)self_path;
    int st;

    /* --- argv, envp, argv[0] --- */
    {
        char *av[] = {"custom-name", "--reexec", "args", "one", "two words", "", NULL};
        st = exec_in_child(self, av, clean_env);
        CHECK("re-exec with arguments exited 0", exited_with(st, 0));
        char *av2[] = {self, "--reexec", "same-path", NULL};
        st = exec_in_child(self, av2, clean_env);
        CHECK("re-exec with argv[0] = path exited 0", exited_with(st, 0));
        char *empty_env[] = {NULL};
        char *av3[] = {"x", "--reexec", "args", NULL};
        st = exec_in_child(self, av3, empty_env);
        CHECK("re-exec with an empty environment exited 0", exited_with(st, 0));
    }

    /* --- pid, parent, group, cwd and umask survive --- */
    {
        pid_t p = fork();
        if (p == 0) {
            char spid[16], sppid[16], spgrp[16], cwd[4096];
            chdir("sub");
            umask(027);
            snprintf(spid, sizeof(spid), "%d", getpid());
            snprintf(sppid, sizeof(sppid), "%d", getppid());
            snprintf(spgrp, sizeof(spgrp), "%d", getpgrp());
            if (!getcwd(cwd, sizeof(cwd)))
                _exit(99);
            char *av[] = {self, "--reexec", "ids", spid, sppid, spgrp, cwd, NULL};
            execve(self, av, clean_env);
            _exit(98);
        }
        st = reap(p);
        CHECK("ids re-exec exited 0", exited_with(st, 0));
    }

    /* --- close-on-exec --- */
    {
        int pp[2];
        pipe(pp);
        pid_t p = fork();
        if (p == 0) {
            close(pp[0]);
            int ce = open("data.txt", O_RDONLY | O_CLOEXEC);
            int setfd = open("data.txt", O_RDONLY);
            fcntl(setfd, F_SETFD, FD_CLOEXEC);
            int keep = open("data.txt", O_RDONLY);
            lseek(keep, 3, SEEK_SET);
            int dupce = fcntl(keep, F_DUPFD_CLOEXEC, 30);
            int dup3ce = dup3(keep, 40, O_CLOEXEC);
            char a[6][16];
            int v[6] = {ce, setfd, dupce, dup3ce, keep, pp[1]};
            for (int i = 0; i < 6; i++)
                snprintf(a[i], sizeof(a[i]), "%d", v[i]);
            char *av[] = {self, "--reexec", "fds", a[0], a[1], a[2], a[3], a[4], a[5], NULL};
            execve(self, av, clean_env);
            _exit(98);
        }
        close(pp[1]);
        char buf[32] = {0};
        ssize_t n = read(pp[0], buf, sizeof(buf) - 1);
        close(pp[0]);
        st = reap(p);
        CHECK("fds re-exec exited 0", exited_with(st, 0));
        CHECK("the new image wrote through the kept pipe", n == 8 && strcmp(buf, "via pipe") == 0);
    }

    /* --- signals across exec --- */
    {
        pid_t p = fork();
        if (p == 0) {
            struct sigaction sa;
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = on_sig;
            sigaction(SIGUSR1, &sa, NULL);
            sa.sa_flags = SA_RESTART | SA_SIGINFO;
            sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))(void *)on_sig;
            sigaction(SIGINT, &sa, NULL);
            signal(SIGUSR2, SIG_IGN);
            signal(SIGPIPE, SIG_IGN);
            static char alt[65536];
            stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt), .ss_flags = 0};
            sigaltstack(&ss, NULL);
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGTERM);
            sigaddset(&set, SIGHUP);
            sigprocmask(SIG_BLOCK, &set, NULL);
            raise(SIGHUP);
            char *av[] = {self, "--reexec", "sigs", NULL};
            execve(self, av, clean_env);
            _exit(98);
        }
        st = reap(p);
        CHECK("sigs re-exec exited 0", exited_with(st, 0));
    }

    /* --- errors --- */
    {
        char *av[] = {"x", NULL};
        CHECK_ERR("execve missing file: ENOENT", execve("./missing", av, clean_env), ENOENT);
        CHECK_ERR("execve missing directory: ENOENT", execve("nodir/x", av, clean_env), ENOENT);
        CHECK_ERR("execve through a file: ENOTDIR", execve("data.txt/x", av, clean_env), ENOTDIR);
        CHECK_ERR("execve empty path: ENOENT", execve("", av, clean_env), ENOENT);
        CHECK_ERR("execve a directory: EACCES", execve("sub", av, clean_env), EACCES);
        CHECK_ERR("execve .: EACCES", execve(".", av, clean_env), EACCES);
        make_file("noexec", "#!/bin/busybox sh\necho should not run\n", 0644);
        CHECK_ERR("execve a file without x bit: EACCES", execve("./noexec", av, clean_env), EACCES);
        make_file("text", "just some text\n", 0755);
        CHECK_ERR("execve a non-ELF file without #!: ENOEXEC", execve("./text", av, clean_env),
                  ENOEXEC);
        make_file("empty", "", 0755);
        CHECK_ERR("execve an empty file: ENOEXEC", execve("./empty", av, clean_env), ENOEXEC);
        make_file("badinterp", "#!/nonexistent/interp\n", 0755);
        CHECK_ERR("#! with a missing interpreter: ENOENT", execve("./badinterp", av, clean_env),
                  ENOENT);
        symlink("loop1", "loop2");
        symlink("loop2", "loop1");
        CHECK_ERR("execve a symlink loop: ELOOP", execve("loop1", av, clean_env), ELOOP);
        CHECK_ERR("execve bad path pointer: EFAULT", execve(BADPTR, av, clean_env), EFAULT);
        char longname[5000];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        CHECK_ERR("execve path too long: ENAMETOOLONG", execve(longname, av, clean_env),
                  ENAMETOOLONG);

        /* these could replace this process if wrongly accepted: run them in children,
         * with a harmless program as the target */
        char *bad_argv[] = {"true", BADPTR, NULL};
        st = exec_in_child("/bin/busybox", bad_argv, clean_env);
        CHECK("execve bad argv element: EFAULT", exited_with(st, 200 + EFAULT));
        st = exec_in_child("/bin/busybox", BADPTR, clean_env);
        CHECK("execve bad argv pointer: EFAULT", exited_with(st, 200 + EFAULT));
        char *good_argv[] = {"true", NULL};
        st = exec_in_child("/bin/busybox", good_argv, BADPTR);
        CHECK("execve bad envp pointer: EFAULT", exited_with(st, 200 + EFAULT));
        size_t big = 200 * 1024; /* over MAX_ARG_STRLEN (32 pages) */
        char *huge = malloc(big + 1);
        memset(huge, 'x', big);
        huge[big] = 0;
        char *big_argv[] = {"true", huge, NULL};
        st = exec_in_child("/bin/busybox", big_argv, clean_env);
        CHECK("execve an argument over 128 KiB: E2BIG", exited_with(st, 200 + E2BIG));
        char *big_env[] = {huge, NULL};
        memcpy(huge, "A=", 2);
        st = exec_in_child("/bin/busybox", good_argv, big_env);
        CHECK("execve an environment string over 128 KiB: E2BIG", exited_with(st, 200 + E2BIG));
        free(huge);
        st = exec_in_child("/bin/busybox", good_argv, clean_env);
        CHECK("execve /bin/busybox true: exit 0", exited_with(st, 0));
        char *false_argv[] = {"false", NULL};
        st = exec_in_child("/bin/busybox", false_argv, clean_env);
        CHECK("execve /bin/busybox false: exit 1", exited_with(st, 1));
    }

    /* --- #! scripts --- */
    {
        make_file("script.sh",
                  "#!/bin/busybox sh\necho \"script: \\$0=$0 \\$#=$# [$1] [$2]\"\nexit 7\n", 0755);
        char *av[] = {"script.sh", "a b", "c", NULL};
        st = exec_in_child("./script.sh", av, clean_env);
        CHECK("#! busybox sh script: exit status 7", exited_with(st, 7));
        make_file("echo.sh", "#!  /bin/busybox\techo  \t\nignored body\n", 0755);
        char *av2[] = {"whatever", "x", "y", NULL};
        st = exec_in_child("./echo.sh", av2, clean_env);
        CHECK("#! with an interpreter argument: exit 0", exited_with(st, 0));
        make_file("nested.sh", "#!./echo.sh\n", 0755);
        char *av3[] = {"nested", "z", NULL};
        st = exec_in_child("./nested.sh", av3, clean_env);
        CHECK("#! whose interpreter is a script: exit 0", exited_with(st, 0));
    }

    /* --- execveat --- */
    {
        int fd = open(self, O_PATH);
        CHECK("open self O_PATH", fd >= 0);
        char *av[] = {"at", "--reexec", "marker", "execveat AT_EMPTY_PATH", NULL};
        st = execveat_in_child(fd, "", av, AT_EMPTY_PATH);
        CHECK("execveat(O_PATH fd, \"\", AT_EMPTY_PATH) exited 0", exited_with(st, 0));
        int rfd = open(self, O_RDONLY);
        char *av1[] = {"at", "--reexec", "marker", "execveat on an O_RDONLY fd", NULL};
        st = execveat_in_child(rfd, "", av1, AT_EMPTY_PATH);
        CHECK("execveat(O_RDONLY fd, \"\", AT_EMPTY_PATH) exited 0", exited_with(st, 0));
        close(rfd);
        CHECK_ERR("execveat \"\" without AT_EMPTY_PATH: ENOENT",
                  syscall(SYS_execveat, fd, "", av, clean_env, 0), ENOENT);
        char *tv[] = {"true", NULL};
        st = execveat_in_child(AT_FDCWD, "/bin/busybox", tv, 0x4000000);
        CHECK("execveat bad flags: EINVAL", exited_with(st, 200 + EINVAL));
        close(fd);

        /* relative to a directory descriptor */
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", self);
        char *slash = strrchr(dir, '/');
        const char *base = slash ? slash + 1 : dir;
        if (slash)
            *slash = 0;
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
        char *av2[] = {"at", "--reexec", "marker", "execveat dirfd + name", NULL};
        st = execveat_in_child(dfd, base, av2, 0);
        CHECK("execveat(dirfd, name) exited 0", exited_with(st, 0));
        close(dfd);

        symlink(self, "selflink");
        char *av3[] = {"link", "--reexec", "marker", "through a symlink", NULL};
        st = exec_in_child("selflink", av3, clean_env);
        CHECK("execve through a symlink exited 0", exited_with(st, 0));
        CHECK_ERR("execveat AT_SYMLINK_NOFOLLOW on a symlink: ELOOP",
                  syscall(SYS_execveat, AT_FDCWD, "selflink", av3, clean_env, AT_SYMLINK_NOFOLLOW),
                  ELOOP);
    }

    /* --- vfork --- */
    {
        pid_t p = vfork();
        if (p == 0) {
            char *av[] = {"vforked", "--reexec", "marker", "after vfork", NULL};
            execve(self, av, clean_env);
            _exit(98);
        }
        /* the parent resumes once the child has exec'd: print only after the reap */
        st = reap(p);
        CHECK("vfork returned a pid", p > 0);
        CHECK("vfork + execve: exit 0", exited_with(st, 0));
        p = vfork();
        if (p == 0)
            _exit(23);
        st = reap(p);
        CHECK("vfork + _exit(23)", exited_with(st, 23));
    }

    /* --- posix_spawn --- */
    {
        pid_t pid = 0;
        char *av[] = {"missing", NULL};
        CHECK_EQ("posix_spawn of a missing program returns ENOENT",
                 posix_spawn(&pid, "./missing-program", NULL, NULL, av, clean_env), ENOENT);
        CHECK_ERR("no child left behind by the failed spawn", waitpid(-1, &st, WNOHANG), ECHILD);
        CHECK_EQ("posix_spawnp of a missing program returns ENOENT",
                 posix_spawnp(&pid, "no-such-program-husk", NULL, NULL, av, clean_env), ENOENT);
        waitpid(-1, &st, WNOHANG);
        CHECK_EQ("posix_spawn of a file without x bit returns EACCES",
                 posix_spawn(&pid, "./noexec", NULL, NULL, av, clean_env), EACCES);
        waitpid(-1, &st, WNOHANG);

        char *tv[] = {"true", NULL};
        CHECK_EQ("posix_spawn /bin/busybox true",
                 posix_spawn(&pid, "/bin/busybox", NULL, NULL, tv, clean_env), 0);
        st = reap(pid);
        CHECK("  waitpid: exit 0", exited_with(st, 0));
        char *fv[] = {"busybox", "false", NULL};
        CHECK_EQ("posix_spawnp busybox false (PATH)",
                 posix_spawnp(&pid, "busybox", NULL, NULL, fv, environ), 0);
        st = reap(pid);
        CHECK("  waitpid: exit 1", exited_with(st, 1));

        /* file actions: stdout to a file */
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "spawned.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char *ev[] = {"echo", "spawned", "output", NULL};
        CHECK_EQ("posix_spawn with addopen",
                 posix_spawn(&pid, "/bin/busybox", &fa, NULL, ev, clean_env), 0);
        posix_spawn_file_actions_destroy(&fa);
        st = reap(pid);
        CHECK("  exit 0", exited_with(st, 0));
        char buf[64];
        t_read_file("spawned.txt", buf, sizeof(buf));
        CHECK("  the file holds its output", strcmp(buf, "spawned output\n") == 0);

        /* stdin from a pipe with adddup2, in a new process group */
        int pp[2];
        pipe(pp);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pp[0], 0);
        posix_spawn_file_actions_addclose(&fa, pp[1]);
        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&at, 0);
        char *cv[] = {"cat", NULL};
        CHECK_EQ("posix_spawn busybox cat with adddup2 and SETPGROUP",
                 posix_spawn(&pid, "/bin/busybox", &fa, &at, cv, clean_env), 0);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        close(pp[0]);
        CHECK_EQ("  the child leads a new process group", getpgid(pid), pid);
        printf("cat says: ");
        fflush(stdout);
        write(pp[1], "through the pipe\n", 17);
        close(pp[1]);
        st = reap(pid);
        CHECK("  exit 0", exited_with(st, 0));
    }

    return t_done();
}
