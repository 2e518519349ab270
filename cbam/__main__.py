"""``python -m cbam``."""

import sys

from cbam.cli import main

sys.exit(main())
