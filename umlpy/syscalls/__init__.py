"""The guest's syscalls: one module per family (open, stat, names, attrs, ...), and the table (linux64.py)."""
