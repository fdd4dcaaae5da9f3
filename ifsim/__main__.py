"""``python -m ifsim`` is the ``ifsim`` command."""

from ifsim.experiments.cli import main

raise SystemExit(main())
