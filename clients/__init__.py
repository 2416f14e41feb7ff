"""Typed HTTP clients for our own services, for every Python caller: `clients.billing` (the actions, the
channels' vault step and the web service call billing through it) and `clients.web` (the actions ask the
web service for a support agent). httpx only, wire formats as TypedDicts, errors as exceptions, explicit
timeouts. No other Python module speaks HTTP to these services (import-linter contracts, `.importlinter`).

The package has no dependency on either environment beyond httpx, so both (.venv-rasa for the actions and
channels, .venv-svc for web) import it from the repository root, like `security`. The one caller that is
not here is the browser: the widget posts card data straight to billing's vault (web/static/widget/)."""
