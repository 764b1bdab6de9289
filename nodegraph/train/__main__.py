"""Entry point for `python -m nodegraph.train`."""

import sys

from nodegraph.train.cli import main

sys.exit(main())
