"""The guest ABI: what a Linux x86-64 program sees of the kernel, as numbers and layouts.

errno.py holds KernelError (and the kernel-internal restart codes), numbers.py the one
syscall number table, linux.py the constants (flags, commands, limits, magics) and
structs.py the struct layouts as struct.Struct objects.

The leaf of the tree: it imports nothing else of umlpy."""
