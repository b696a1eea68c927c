"""Struct layouts of the guest ABI (x86-64), as named struct.Struct objects.

Each object packs or unpacks one C struct (or the fixed head of one) byte for byte
as the guest's libc lays it out: little-endian, with the compiler's padding written
out as `x`.  The comment above each gives the C declaration it mirrors.  Handlers use
them as `STAT.pack(...)` or `OPEN_HOW.unpack(...)`, and take sizes from `.size`.
The constants that go into the fields are in abi/linux.py.
"""
from __future__ import annotations

from struct import Struct

# ------------------------------------------------------------------ file status
# struct stat (<asm/stat.h>, 144 bytes): unsigned long st_dev, st_ino, st_nlink;
#   unsigned int st_mode, st_uid, st_gid; int __pad0; unsigned long st_rdev;
#   long st_size, st_blksize, st_blocks;
#   unsigned long st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
#   long __unused[3];
STAT = Struct("<QQQIIIiQqqqqqqqqq24x")

# struct statx (<linux/stat.h>, 256 bytes): __u32 stx_mask, stx_blksize; __u64 stx_attributes;
#   __u32 stx_nlink, stx_uid, stx_gid; __u16 stx_mode, __spare0;
#   __u64 stx_ino, stx_size, stx_blocks, stx_attributes_mask;
#   struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;  (each: __s64 tv_sec;
#       __u32 tv_nsec; __s32 __reserved;)
#   __u32 stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor; __u64 stx_mnt_id;
#   the rest (from offset 152) written as zeros.
STATX = Struct("<IIQIIIHHQQQQ" + "qIi" * 4 + "IIIIQ" + "104x")

# struct statfs (<asm-generic/statfs.h>, 120 bytes): long f_type, f_bsize;
#   unsigned long f_blocks, f_bfree, f_bavail, f_files, f_ffree; __kernel_fsid_t f_fsid (int[2]);
#   long f_namelen, f_frsize, f_flags, f_spare[4];
#   120 bytes: f_fsid is the two ints; f_flags, then the four spare longs.
STATFS = Struct("<qqQQQQQiiqqq4q")

# ---------------------------------------------------------------- directories
# struct linux_dirent64 (getdents64): __u64 d_ino; __s64 d_off; unsigned short d_reclen;
#   unsigned char d_type; then char d_name[], NUL-terminated, the record padded to 8 bytes.
DIRENT64_HEAD = Struct("<QqHB")

# struct linux_dirent (getdents): unsigned long d_ino, d_off; unsigned short d_reclen;
#   then char d_name[] with its NUL, padding, and d_type as the record's last byte.
DIRENT_HEAD = Struct("<QqH")

# --------------------------------------------------------------------- times
# struct timespec times[2] (utimensat): long tv_sec, tv_nsec; for atime, then mtime.
TIMESPEC_PAIR = Struct("<qqqq")
# struct timeval times[2] (utimes, futimesat): long tv_sec, tv_usec; for atime, then mtime.
TIMEVAL_PAIR = Struct("<qqqq")
# struct utimbuf (<linux/utime.h>, utime): time_t actime, modtime.
UTIMBUF = Struct("<qq")

# ------------------------------------------------------------ opens, clones
# struct open_how (<linux/openat2.h>, openat2): __u64 flags, mode, resolve.
OPEN_HOW = Struct("<QQQ")

# struct clone_args (<linux/sched.h>, clone3), its first CLONE_ARGS_SIZE_VER0 (64) bytes:
#   __u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls.
CLONE_ARGS = Struct("<8Q")
# ... and the fields CLONE_ARGS_SIZE_VER1 (80) adds, at offset 64: __u64 set_tid, set_tid_size.
CLONE_ARGS_SET_TID = Struct("<QQ")

# --------------------------------------------------------------- credentials
# struct __user_cap_header_struct (<linux/capability.h>): __u32 version; int pid.
CAP_HEADER = Struct("<Ii")
# struct __user_cap_data_struct[2] (versions 2 and 3, 64-bit sets):
#   __u32 effective, permitted, inheritable; for capabilities 0-31, then 32-63.
CAP_DATA = Struct("<6I")

# ------------------------------------------------------------------- sockets
# struct ucred (<linux/socket.h>, SO_PEERCRED): pid_t pid; uid_t uid; gid_t gid.
UCRED = Struct("<iII")
# sa_family_t, the first field of every struct sockaddr (sockaddr_un: then sun_path[108]).
SA_FAMILY = Struct("<H")

# ------------------------------------------------------------ system identity
# struct sysinfo (<linux/sysinfo.h>, 112 bytes): long uptime; unsigned long loads[3];
#   unsigned long totalram, freeram, sharedram, bufferram, totalswap, freeswap;
#   __u16 procs, pad; (4 bytes of alignment) unsigned long totalhigh, freehigh;
#   __u32 mem_unit; (4 bytes of tail padding: _f[] is empty on 64-bit)
SYSINFO = Struct("<q3Q6QH6xQQI4x")
