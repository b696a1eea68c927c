"""The VFS core: FileSystem and Stat, the mount table, the path walk and the VFS object (file systems are in fsimpl/)."""
