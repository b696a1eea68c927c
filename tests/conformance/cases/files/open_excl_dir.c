/* family: files
 * O_CREAT on an existing directory is EISDIR, with O_EXCL EEXIST; O_CREAT on
 * an existing file opens it (the mode argument is ignored); O_EXCL without
 * O_CREAT is ignored for a regular file; O_CREAT|O_EXCL follows no symlink, so
 * even a symlink to an existing file is EEXIST.
 */
#include "case.h"
#define OK(l, e) ({ errno = 0; long _r = (long)(e); int _e = errno; \
    printf("%s=%s\n", l, _r < 0 ? errname(_e) : "ok"); fflush(stdout); if (_r > 2) close(_r); _r; })

int main(void)
{
    struct stat st;
    mkdir("/tmp/open_excl_dir", 0755);
    chdir("/tmp/open_excl_dir");
    mkdir("d", 0755);
    close(open("f", O_CREAT | O_WRONLY, 0600));
    symlink("f", "lf");
    OK("creat dir", open("d", O_CREAT | O_RDONLY, 0644));
    OK("creat excl dir", open("d", O_CREAT | O_EXCL | O_RDONLY, 0644));
    OK("creat existing file", open("f", O_CREAT | O_WRONLY, 0777));
    stat("f", &st);
    SAY("mode=%o", st.st_mode);
    OK("excl without creat", open("f", O_EXCL | O_RDONLY));
    OK("creat excl via symlink", open("lf", O_CREAT | O_EXCL | O_WRONLY, 0644));
    OK("creat via symlink", open("lf", O_CREAT | O_WRONLY, 0644));
    OK("creat excl dot", open(".", O_CREAT | O_EXCL | O_RDONLY, 0644));
    return 0;
}
