"""`python3 -m umlpy` is the umlpy command (warm.py: a warm server's run, or this process's)."""
import sys

from umlpy.warm import main

sys.exit(main())
