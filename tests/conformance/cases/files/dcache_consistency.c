/* family: files
 * A path names what the last change made it name, whatever was looked up
 * before: after a rename of a parent directory, an unlink and re-create, a
 * symlink pointed elsewhere, a directory replaced by a file, a write through a
 * descriptor (the size), a change made by another process, and a rename of the
 * caller's own working directory.  Checked on the root file system and on /tmp.
 * (Under umlpy this is the dentry cache's contract: it never answers stale.)
 */
#include "case.h"
#include <sys/wait.h>

static const char *at(const char *base, const char *rel)
{
    static char bufs[4][256];       /* rename(at(..), at(..)) needs two at once */
    static int next;
    char *p = bufs[next++ % 4];
    snprintf(p, sizeof bufs[0], "%s/%s", base, rel);
    return p;
}

static void size_of(const char *label, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        SAY("%s=size %ld", label, (long)st.st_size);
    else
        SAY("%s=%s", label, errname(errno));
}

static void check(const char *label, const char *base)
{
    struct stat st;
    SAY("on %s", label);
    mkdir(base, 0755);
    mkdir(at(base, "a"), 0755);
    mkdir(at(base, "a/b"), 0755);
    put_file(at(base, "a/b/f"), "x");
    size_of("before rename", at(base, "a/b/f"));
    SHOW("missing before", stat(at(base, "a/b/g"), &st));
    SHOW("rename parent", rename(at(base, "a"), at(base, "z")));
    size_of("old path", at(base, "a/b/f"));
    size_of("new path", at(base, "z/b/f"));

    SHOW("negative", stat(at(base, "n"), &st));
    put_file(at(base, "n"), "nn");
    size_of("created", at(base, "n"));
    SHOW("unlink", unlink(at(base, "n")));
    SHOW("unlinked", stat(at(base, "n"), &st));

    SHOW("symlink", symlink("z/b/f", at(base, "l")));
    size_of("through link", at(base, "l"));
    unlink(at(base, "l"));
    SHOW("symlink again", symlink("n", at(base, "l")));
    size_of("dangling", at(base, "l"));
    SHOW("lstat dangling", lstat(at(base, "l"), &st));
    put_file(at(base, "n"), "nnn");
    size_of("target made", at(base, "l"));

    mkdir(at(base, "d"), 0755);
    SHOW("in dir", stat(at(base, "d/q"), &st));
    rmdir(at(base, "d"));
    put_file(at(base, "d"), "");
    SHOW("in file", stat(at(base, "d/q"), &st));

    int fd = open(at(base, "z/b/f"), O_WRONLY | O_APPEND);
    size_of("before write", at(base, "z/b/f"));
    SHOW("write", write(fd, "12345", 5));
    size_of("after write", at(base, "z/b/f"));
    close(fd);

    int go[2], done[2];
    pipe(go);
    pipe(done);
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(go[0], &c, 1);
        rename(at(base, "z/b"), at(base, "z/c"));
        write(done[1], "x", 1);
        _exit(0);
    }
    size_of("before other's rename", at(base, "z/b/f"));
    char c;
    write(go[1], "x", 1);
    read(done[0], &c, 1);
    waitpid(child, NULL, 0);
    size_of("after other's rename", at(base, "z/b/f"));
    size_of("other's new name", at(base, "z/c/f"));

    chdir(at(base, "z/c"));
    size_of("relative", "f");
    SHOW("rename own cwd's parent", rename(at(base, "z"), at(base, "y")));
    size_of("relative after", "f");
    size_of("dotdot after", "../c/f");
    size_of("absolute old", at(base, "z/c/f"));
    chdir("/");
}

int main(void)
{
    char root[64];
    /* the native run and umlpy's share the rootfs directory: a name of this run's own */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(root, sizeof root, "/dcache_case.%ld%09ld", (long)now.tv_sec, now.tv_nsec);
    check("the root file system", root);
    check("/tmp", "/tmp/dcache_case");
    return 0;
}
