"""python3 -m umlpy.image build [DEST] ...: build the default guest userland (in the store)."""
import sys

from umlpy.image.store import main

sys.exit(main())
