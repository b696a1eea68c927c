/* family: files
 * A directory's link count: 2 when empty ("." and its name), plus one per
 * subdirectory (each one's ".."); files do not count; rmdir and rename of a
 * subdirectory out of it take it back.  A hard link raises a file's nlink,
 * unlink lowers it; an open file that was unlinked has nlink 0.
 */
#include "case.h"

static long nl(const char *p) { struct stat st; return stat(p, &st) ? -1 : (long)st.st_nlink; }

int main(void)
{
    mkdir("/tmp/stat_nlink_dir", 0755);
    mkdir("/tmp/stat_nlink_dir/d", 0755);
    SAY("empty dir=%ld", nl("/tmp/stat_nlink_dir/d"));
    mkdir("/tmp/stat_nlink_dir/d/a", 0755);
    mkdir("/tmp/stat_nlink_dir/d/b", 0755);
    close(open("/tmp/stat_nlink_dir/d/f", O_CREAT | O_WRONLY, 0644));
    SAY("two subdirs and a file=%ld", nl("/tmp/stat_nlink_dir/d"));
    rmdir("/tmp/stat_nlink_dir/d/a");
    SAY("after rmdir=%ld", nl("/tmp/stat_nlink_dir/d"));
    rename("/tmp/stat_nlink_dir/d/b", "/tmp/stat_nlink_dir/b");
    SAY("after rename out=%ld parent=%ld", nl("/tmp/stat_nlink_dir/d"), nl("/tmp/stat_nlink_dir"));
    SAY("file=%ld", nl("/tmp/stat_nlink_dir/d/f"));
    link("/tmp/stat_nlink_dir/d/f", "/tmp/stat_nlink_dir/d/g");
    link("/tmp/stat_nlink_dir/d/f", "/tmp/stat_nlink_dir/h");
    SAY("file with 3 names=%ld %ld", nl("/tmp/stat_nlink_dir/d/f"), nl("/tmp/stat_nlink_dir/h"));
    unlink("/tmp/stat_nlink_dir/d/g");
    SAY("after unlink=%ld", nl("/tmp/stat_nlink_dir/d/f"));
    int fd = open("/tmp/stat_nlink_dir/h", O_RDONLY);
    unlink("/tmp/stat_nlink_dir/h");
    unlink("/tmp/stat_nlink_dir/d/f");
    struct stat st;
    SHOW("fstat unlinked", fstat(fd, &st));
    SAY("unlinked nlink=%ld", (long)st.st_nlink);
    return 0;
}
