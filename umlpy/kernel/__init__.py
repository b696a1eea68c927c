"""The guest kernel: the stop loop, tasks, the PID namespace, execve, the ptrace platform."""
