"""The guest's virtual file system: mounts, path walk, and one module per file system."""
