"""`python -m rosterport`: the command line."""

import sys

from rosterport.cli import main

sys.exit(main())
