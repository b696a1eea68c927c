"""python3 -m umlpy.image build [DEST] ...: build the default guest userland."""
import sys

from umlpy.image.rootfs import main

sys.exit(main())
