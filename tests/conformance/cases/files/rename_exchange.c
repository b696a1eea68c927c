/* family: files
 * renameat2(2) RENAME_EXCHANGE swaps two names atomically: both must exist
 * (ENOENT otherwise); a file and a directory may be swapped; exchanging a name
 * with itself succeeds and changes nothing; a directory cannot be swapped with
 * one of its own descendants (EINVAL).
 */
#include "case.h"

static void cat(const char *p)
{
    char buf[32] = {0};
    struct stat st;
    if (lstat(p, &st)) { SAY("%s: %s", p, errname(errno)); return; }
    if (S_ISDIR(st.st_mode)) { SAY("%s: dir", p); return; }
    int fd = open(p, O_RDONLY);
    read(fd, buf, sizeof buf - 1);
    close(fd);
    SAY("%s: %s", p, buf);
}

int main(void)
{
    mkdir("/tmp/rename_exchange", 0755);
    chdir("/tmp/rename_exchange");
    put_file("a", "A");
    put_file("b", "B");
    mkdir("d", 0755);
    put_file("d/inner", "I");
    mkdir("d/sub", 0755);
    SHOW("exchange files", renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE));
    cat("a");
    cat("b");
    SHOW("exchange with missing", renameat2(AT_FDCWD, "a", AT_FDCWD, "missing", RENAME_EXCHANGE));
    SHOW("exchange missing source", renameat2(AT_FDCWD, "missing", AT_FDCWD, "a", RENAME_EXCHANGE));
    SHOW("exchange file and dir", renameat2(AT_FDCWD, "a", AT_FDCWD, "d", RENAME_EXCHANGE));
    cat("a");
    cat("d");
    cat("a/inner");
    SHOW("exchange itself", renameat2(AT_FDCWD, "b", AT_FDCWD, "b", RENAME_EXCHANGE));
    cat("b");
    SHOW("exchange with descendant", renameat2(AT_FDCWD, "a", AT_FDCWD, "a/sub", RENAME_EXCHANGE));
    SHOW("exchange across dirs", renameat2(AT_FDCWD, "b", AT_FDCWD, "a/inner", RENAME_EXCHANGE));
    cat("b");
    cat("a/inner");
    return 0;
}
