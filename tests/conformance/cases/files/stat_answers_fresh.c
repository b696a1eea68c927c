/* family: files
 * stat, lstat and fstatat of an absolute path report the file as it is now,
 * asked many times in a row around each change: after chmod, chown, a write
 * through a descriptor, truncate and utimensat of a file of the image; after
 * creating a name that was missing; after renaming a parent directory (of the
 * image, and of /tmp) and a file over another; in a child process while its
 * parent changes the file; and after chroot into a directory with the same
 * names; and after listing a directory (a stat of one of its names makes umlpy
 * keep them all, as a tree walk is about to stat them) and changing one of
 * them.  umlpy answers repeated stats of unchanging image files and misses
 * below its Python guest kernel (csrc/answer.c), forgetting them on any
 * change: this checks it never answers from before a change.  (The native run
 * shares the image with umlpy's: it puts back everything it changed.)
 * root: uids other than 0 (a user namespace made without privilege maps one id)
 */
#include "case.h"
#include <dirent.h>
#include <time.h>
#include <sys/stat.h>

static void show(const char *label, const char *path)
{
    struct stat st = {0};
    int r = 0;
    for (int i = 0; i < 30; i++)
        r = stat(path, &st);
    if (r < 0) {
        SAY("%s: %s", label, errname(errno));
        return;
    }
    /* a file made during the run shows "recent": the two runs are seconds apart */
    long long age = (long long)time(NULL) - (long long)st.st_mtime;
    char when[32];
    if (age >= 0 && age < 600)
        snprintf(when, sizeof when, "recent");
    else
        snprintf(when, sizeof when, "%lld", (long long)st.st_mtime);
    SAY("%s: mode=%o uid=%u gid=%u size=%lld mtime=%s", label, st.st_mode, st.st_uid,
        st.st_gid, (long long)st.st_size, when);
}

static void lshow(const char *label, const char *path)
{
    struct stat st = {0};
    int r = 0;
    for (int i = 0; i < 30; i++)
        r = fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
    if (r < 0)
        SAY("%s: %s", label, errname(errno));
    else
        SAY("%s: mode=%o size=%lld", label, st.st_mode, (long long)st.st_size);
}

/* An image file as it was, to put back at the end. */
struct saved { const char *path; struct stat st; char data[4096]; ssize_t len; };

static void save(struct saved *s, const char *path)
{
    s->path = path;
    stat(path, &s->st);
    int fd = open(path, O_RDONLY);
    s->len = read(fd, s->data, sizeof s->data);
    close(fd);
}

static void restore(struct saved *s)
{
    int fd = open(s->path, O_WRONLY | O_TRUNC);
    write(fd, s->data, s->len);
    close(fd);
    chmod(s->path, s->st.st_mode & 07777);
    chown(s->path, s->st.st_uid, s->st.st_gid);
    struct timespec ts[2] = {s->st.st_atim, s->st.st_mtim};
    utimensat(AT_FDCWD, s->path, ts, 0);
}

int main(void)
{
    struct saved passwd, hostname, group, shells;
    save(&passwd, "/etc/passwd");
    save(&hostname, "/etc/hostname");
    save(&group, "/etc/group");
    save(&shells, "/etc/shells");

    show("passwd", "/etc/passwd");
    SHOW("chmod 600", chmod("/etc/passwd", 0600));
    show("passwd after chmod", "/etc/passwd");
    SHOW("chown 5:6", chown("/etc/passwd", 5, 6));
    show("passwd after chown", "/etc/passwd");

    struct stat a, b;
    for (int i = 0; i < 30; i++)
        stat("/etc/hostname", &a);
    int fd = open("/etc/hostname", O_WRONLY | O_APPEND);
    SHOW("append", write(fd, "x\n", 2));
    close(fd);
    stat("/etc/hostname", &b);
    SAY("hostname grew by %lld", (long long)(b.st_size - a.st_size));

    show("group", "/etc/group");
    SHOW("truncate 3", truncate("/etc/group", 3));
    show("group truncated", "/etc/group");
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    SHOW("utimensat", utimensat(AT_FDCWD, "/etc/group", ts, 0));
    show("group touched", "/etc/group");

    /* an image symlink (busybox's applet links): stat and lstat asked in turn */
    for (int i = 0; i < 30; i++) {
        struct stat s1, s2;
        stat("/usr/sbin/chroot", &s1);
        lstat("/usr/sbin/chroot", &s2);
        if (i == 29)
            SAY("symlink: stat %s, lstat %s", S_ISREG(s1.st_mode) ? "file" : "not a file",
                S_ISLNK(s2.st_mode) ? "link" : "not a link");
    }
    lshow("link listed dir", "/usr/sbin/chroot");

    show("missing", "/etc/stat_answers_missing");
    put_file("/etc/stat_answers_missing", "now\n");
    show("missing made", "/etc/stat_answers_missing");
    SHOW("unlink", unlink("/etc/stat_answers_missing"));
    show("missing again", "/etc/stat_answers_missing");

    lshow("etc/shells", "/etc/shells");
    SHOW("rename /etc", rename("/etc", "/etc.stat_answers"));
    lshow("old etc/shells", "/etc/shells");
    lshow("moved etc/shells", "/etc.stat_answers/shells");
    SHOW("rename back", rename("/etc.stat_answers", "/etc"));
    lshow("etc/shells again", "/etc/shells");

    mkdir("/tmp/d", 0755);
    put_file("/tmp/d/f", "hello\n");
    lshow("tmp f", "/tmp/d/f");
    SHOW("rename tmp dir", rename("/tmp/d", "/tmp/e"));
    lshow("old tmp f", "/tmp/d/f");
    lshow("new tmp f", "/tmp/e/f");
    put_file("/tmp/e/g", "a longer file\n");
    SHOW("rename g over f", rename("/tmp/e/g", "/tmp/e/f"));
    lshow("f after rename", "/tmp/e/f");
    SHOW("symlink", symlink("/etc/passwd", "/tmp/e/l"));
    lshow("l", "/tmp/e/l");
    show("l followed", "/tmp/e/l");

    /* a child keeps asking while its parent changes the file */
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid_t c = fork();
    if (c == 0) {
        char x;
        show("child before", "/etc/shells");
        write(q[1], "g", 1);
        read(p[0], &x, 1);
        show("child after", "/etc/shells");
        _exit(0);
    }
    char x;
    read(q[0], &x, 1);
    SHOW("parent chmod 700", chmod("/etc/shells", 0700));
    write(p[1], "g", 1);
    waitpid(c, NULL, 0);

    /* a tree walk: list /etc, stat each name, change one, stat them again */
    struct saved profile;
    save(&profile, "/etc/profile");
    for (int round = 0; round < 2; round++) {
        DIR *d = opendir("/etc");
        struct dirent *e;
        long total = 0;
        while ((e = readdir(d)) != NULL) {
            char p2[512];
            struct stat st;
            snprintf(p2, sizeof p2, "/etc/%s", e->d_name);
            if (lstat(p2, &st) == 0 && strcmp(e->d_name, "profile") == 0)
                SAY("round %d: profile mode=%o size=%lld", round, st.st_mode, (long long)st.st_size);
            total++;
        }
        closedir(d);
        SAY("round %d: %ld names", round, total);
        if (round == 0) {
            SHOW("chmod profile 640", chmod("/etc/profile", 0640));
            SHOW("truncate profile", truncate("/etc/profile", 1));
        }
    }
    restore(&profile);

    restore(&passwd);
    restore(&hostname);
    restore(&group);
    restore(&shells);
    show("passwd restored", "/etc/passwd");

    /* chroot: the same absolute names, another tree */
    mkdir("/tmp/e/etc", 0755);
    put_file("/tmp/e/etc/passwd", "root\n");
    SHOW("chroot", chroot("/tmp/e"));
    show("inner passwd", "/etc/passwd");
    return 0;
}
