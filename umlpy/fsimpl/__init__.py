"""File system implementations behind the VFS: hostfs, overlay, subtree, devfs, tmpfs, procfs."""
