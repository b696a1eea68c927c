"""The guest kernel's syscalls: one module per family, and the class table (table.py)."""
