"""``python -m server`` runs the ``citykg`` command line, for environments without the script."""

import sys

from server.cli.main import main

sys.exit(main())
