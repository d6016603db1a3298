"""``python -m zenrun``."""

import sys

from zenrun.main import console_main

sys.exit(console_main())
