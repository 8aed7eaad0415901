"""``python -m skillpulse.cli``: the ``skillpulse`` command."""
from skillpulse.cli import main

main()
