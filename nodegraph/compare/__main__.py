"""`python -m nodegraph.compare ...`, the same as `nodegraph compare ...`."""

import sys

from .cli import main

sys.exit(main())
