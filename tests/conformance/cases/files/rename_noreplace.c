/* family: files
 * renameat2(2) RENAME_NOREPLACE: EEXIST if the new name exists (a file, a
 * directory, even a dangling symlink), otherwise a plain rename; plain
 * rename(2) replaces an existing file atomically (the old content is gone).
 */
#include "case.h"

static void cat(const char *p)
{
    char buf[32] = {0};
    int fd = open(p, O_RDONLY);
    if (fd < 0) { SAY("%s: %s", p, errname(errno)); return; }
    read(fd, buf, sizeof buf - 1);
    close(fd);
    SAY("%s: %s", p, buf);
}

int main(void)
{
    mkdir("/tmp/rename_noreplace", 0755);
    chdir("/tmp/rename_noreplace");
    put_file("a", "A");
    put_file("b", "B");
    mkdir("d", 0755);
    symlink("nowhere", "dangling");
    SHOW("noreplace onto file", renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE));
    SHOW("noreplace onto dir", renameat2(AT_FDCWD, "a", AT_FDCWD, "d", RENAME_NOREPLACE));
    SHOW("noreplace onto dangling", renameat2(AT_FDCWD, "a", AT_FDCWD, "dangling", RENAME_NOREPLACE));
    SHOW("noreplace to new", renameat2(AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE));
    cat("a");
    cat("c");
    SHOW("noreplace missing source", renameat2(AT_FDCWD, "a", AT_FDCWD, "e", RENAME_NOREPLACE));
    SHOW("noreplace onto itself", renameat2(AT_FDCWD, "c", AT_FDCWD, "c", RENAME_NOREPLACE));
    SHOW("plain replace", rename("c", "b"));
    cat("b");
    cat("c");
    SHOW("replace dangling", rename("b", "dangling"));
    struct stat st;
    lstat("dangling", &st);
    SAY("dangling now reg=%d", S_ISREG(st.st_mode));
    return 0;
}
