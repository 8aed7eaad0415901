"""``python -m skillpulse``: the ``skillpulse`` command."""
from skillpulse.cli import main

main()
