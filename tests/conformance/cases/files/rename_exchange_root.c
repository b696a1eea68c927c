/* family: files
 * renameat2(RENAME_EXCHANGE) in /root (on the root file system, not /tmp):
 * two files swap contents, a file and a directory swap, and a directory's
 * contents move with it; RENAME_NOREPLACE refuses an existing name there too.
 */
#include "case.h"

#define D "/root/rename_exchange_root"

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

static void clean(void)
{
    const char *names[] = { D "/a/inner", D "/d/inner", D "/a", D "/b", D "/d", D, NULL };
    for (int i = 0; names[i]; i++)
        if (unlink(names[i]))
            rmdir(names[i]);
}

int main(void)
{
    clean();
    mkdir(D, 0755);
    put_file(D "/a", "A");
    put_file(D "/b", "B");
    mkdir(D "/d", 0755);
    put_file(D "/d/inner", "I");
    SHOW("exchange files", renameat2(AT_FDCWD, D "/a", AT_FDCWD, D "/b", RENAME_EXCHANGE));
    cat(D "/a");
    cat(D "/b");
    SHOW("exchange file and dir", renameat2(AT_FDCWD, D "/a", AT_FDCWD, D "/d", RENAME_EXCHANGE));
    cat(D "/a");
    cat(D "/d");
    cat(D "/a/inner");
    SHOW("noreplace", renameat2(AT_FDCWD, D "/b", AT_FDCWD, D "/d", RENAME_NOREPLACE));
    clean();
    SHOW("cleaned", access(D, F_OK));
    return 0;
}
