"""The dependency audit of `make test` (tools/dependency_audit.py): what it finds in the lock files and the
allow-list (`findings`), and how it asks pip-audit, npm audit and uv (`scans`). Stdlib only (Python 3.11)."""
