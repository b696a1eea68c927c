/* family: files
 * mknod(2)/mknodat(2): S_IFIFO makes a FIFO, S_IFREG (or a type of 0) an empty
 * regular file, S_IFSOCK a socket inode; the mode is masked by the umask; an
 * existing name is EEXIST; S_IFDIR is EPERM; an unknown type EINVAL.
 */
#include "case.h"

static void show(const char *p)
{
    struct stat st;
    if (lstat(p, &st)) SAY("%s: %s", p, errname(errno));
    else SAY("%s: mode=%06o size=%ld", p, st.st_mode, (long)st.st_size);
}

int main(void)
{
    mkdir("/tmp/mknod_types", 0755);
    chdir("/tmp/mknod_types");
    umask(022);
    SHOW("fifo", mknod("fifo", S_IFIFO | 0666, 0));
    show("fifo");
    SHOW("reg", mknod("reg", S_IFREG | 0666, 0));
    show("reg");
    SHOW("type 0", mknod("zero", 0640, 0));
    show("zero");
    SHOW("sock", mknod("sock", S_IFSOCK | 0644, 0));
    show("sock");
    SHOW("existing", mknod("fifo", S_IFIFO | 0644, 0));
    SHOW("dir", mknod("dir", S_IFDIR | 0755, 0));
    SHOW("unknown type", mknod("bad", 0170000 | 0644, 0));
    SHOW("mkfifo", mkfifo("fifo2", 0600));
    show("fifo2");
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    SHOW("mknodat", mknodat(dfd, "at", S_IFIFO | 0600, 0));
    show("at");
    SHOW("missing parent", mknod("nodir/x", S_IFIFO | 0600, 0));
    return 0;
}
