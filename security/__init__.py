"""Secrets in free text, one rule for every process: card numbers and security codes (`security.cards`)
and what log lines must never hold (`security.logs`). Standard library only, Python 3.10+, no I/O."""
