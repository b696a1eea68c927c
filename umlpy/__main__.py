"""`python3 -m umlpy` is the umlpy command."""
import sys

from umlpy.cli import main

sys.exit(main())
