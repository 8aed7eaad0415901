"""Pure domain logic: taxonomy matching, seniority, scoring, posting keys. No I/O imports here."""
