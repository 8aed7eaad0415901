"""skillpulse."""
