"""The guest ABI: errno (KernelError), the x86-64 syscall numbers, constants and structs.

The leaf of the tree: it imports nothing else of umlpy."""
