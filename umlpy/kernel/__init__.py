"""The guest kernel: the Kernel and its stop loop, dispatch, the table's type, tasks, the PID namespace, credentials, the exec loader."""
