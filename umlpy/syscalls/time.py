"""Time syscalls: reading clocks, sleeping and timers run natively; setting clocks is denied.

Most clock reads never even enter the kernel (the vDSO answers them).  The
sandbox shares the host's clocks; it may not change them.
"""
import errno

from umlpy.syscalls.table import deny, native

native("clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
       "getitimer", "setitimer", "alarm", "timer_create", "timer_settime", "timer_gettime",
       "timer_getoverrun", "timer_delete",
       why="clocks and timers of the calling process")
deny("settimeofday", "clock_settime", "adjtimex", "clock_adjtime", err=errno.EPERM,
     why="the sandbox may not set the host's clocks")
