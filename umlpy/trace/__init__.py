"""The strace-style formatter of `umlpy trace`, `--trace` and the run report's denied lines."""
