"""No log line holds a card number, a JWT or a bearer token (security.logs), whichever handler writes it.
Only Stripe's public test card numbers appear here; the JWT is made up (its signature is the word)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from security.logs import FILTER, MaskSecrets, install, mask_secrets, uninstall

ROOT = Path(__file__).resolve().parents[2]
VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
# {"alg":"HS256","typ":"JWT"} . {"sub":"alice@contoso.com"} . "signature"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZUBjb250b3NvLmNvbSJ9.c2lnbmF0dXJl"


class Keep(logging.Handler):
    """Keeps each record and the line its formatter writes."""

    def __init__(self, fmt: str = "%(message)s") -> None:
        super().__init__()
        self.setFormatter(logging.Formatter(fmt))
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def masking() -> Iterator[MaskSecrets]:
    yield install()
    uninstall()


@pytest.fixture
def logger(request: pytest.FixtureRequest) -> Iterator[logging.Logger]:
    """A logger of its own that does not propagate (like sanic's and uvicorn's)."""
    named = logging.getLogger(f"tests.masking.{request.node.name}")
    named.setLevel(logging.INFO)
    named.propagate = False
    yield named
    for handler in list(named.handlers):
        named.removeHandler(handler)


def keep(logger: logging.Logger, fmt: str = "%(message)s") -> Keep:
    handler = Keep(fmt)
    logger.addHandler(handler)
    return handler


def test_a_card_number_in_the_arguments(masking, logger):
    kept = keep(logger)
    logger.info("user %s paid with %s", "bob", "4242 4242 4242 4242")
    assert kept.lines == ["user bob paid with •••• 4242"]
    assert kept.records[0].msg == "user bob paid with •••• 4242" and kept.records[0].args is None


def test_a_card_number_in_the_message(masking, logger):
    kept = keep(logger)
    logger.warning(f"card {VISA} refused, then ５５５５ ５５５５ ５５５５ ４４４４ accepted")
    assert kept.lines == ["card •••• 4242 refused, then •••• 4444 accepted"]


def test_a_card_number_in_an_exception(masking, logger):
    kept = keep(logger)
    try:
        raise ValueError(f"card {VISA} declined (cvc 123)")
    except ValueError:
        logger.exception("payment failed for %s", "bob")
    line = kept.lines[0]
    assert line.startswith("payment failed for bob\nTraceback")
    assert "ValueError: card •••• 4242 declined (cvc •••)" in line
    assert VISA not in line and "123" not in line.split("ValueError")[-1]


def test_a_jwt_and_a_bearer_header(masking, logger):
    kept = keep(logger)
    logger.info("token %s for %s", JWT, "alice")
    logger.info("headers %s", {"Authorization": "Bearer opaque-Token_123.abc", "Accept": "*/*"})
    logger.info("authorization: bearer %s", JWT)
    assert kept.lines == [
        "token [token] for alice",
        "headers {'Authorization': 'Bearer [token]', 'Accept': '*/*'}",
        "authorization: bearer [token]",
    ]


def test_a_handler_added_after_install_masks_too(masking, logger):
    late = keep(logger)  # after install, on a logger that does not propagate
    stream = io.StringIO()
    logger.addHandler(logging.StreamHandler(stream))
    logger.error("card %s", MASTERCARD)
    assert late.lines == ["card •••• 4444"]
    assert stream.getvalue() == "card •••• 4444\n"


def test_the_root_logger_and_its_handlers_have_the_filter():
    root = logging.getLogger()
    handler = logging.StreamHandler(io.StringIO())
    root.addHandler(handler)
    try:
        install()
        assert FILTER in root.filters and FILTER in handler.filters
        install()  # twice: still once
        assert root.filters.count(FILTER) == 1 and handler.filters.count(FILTER) == 1
        uninstall()
        assert FILTER not in root.filters and FILTER not in handler.filters
    finally:
        root.removeHandler(handler)


def test_after_uninstall_nothing_is_rewritten(logger):
    install()
    uninstall()
    kept = keep(logger)
    logger.info("card %s", VISA)
    assert kept.lines == [f"card {VISA}"]


def test_attributes_given_with_extra(masking, logger):
    """sanic's access log puts the request line in `extra`, not in the message."""
    kept = keep(logger, "%(request)s %(message)s %(status)d")
    logger.info("", extra={"request": f"GET /pay?card={VISA}&t={JWT}", "status": 200})
    assert kept.lines == ["GET /pay?card=•••• 4242&t=[token]  200"]


def test_uvicorn_access_log_keeps_its_arguments(masking):
    """uvicorn's access formatter unpacks record.args: they are masked one by one, not dropped."""
    access = logging.getLogger("uvicorn.access")
    kept, level = keep(access), access.level
    access.setLevel(logging.INFO)
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/v1/cards?n={VISA}", "1.1", 200)
    finally:
        access.removeHandler(kept)
        access.setLevel(level)
    record = kept.records[0]
    assert record.args == ("127.0.0.1:5000", "GET", "/v1/cards?n=•••• 4242", "1.1", 200)
    assert kept.lines == ['127.0.0.1:5000 - "GET /v1/cards?n=•••• 4242 HTTP/1.1" 200']


def test_arguments_that_do_not_fit_the_message_are_masked_too(masking, logger):
    kept = keep(logger)
    logger.info("card %d", VISA[:8] + " " + VISA[8:])  # %d of a str: the handler would print args raw
    assert kept.lines == ["card %d ('•••• 4242',)"]


def test_json_escaped_card_numbers():
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in VISA)
    line = json.dumps({"event": "user_uttered", "text": fullwidth, "n": "4242\n4242\n4242\n4242"})
    assert "\\uff14" in line and "\\n" in line
    masked = mask_secrets(line)
    assert json.loads(masked) == {"event": "user_uttered", "text": "•••• 4242", "n": "•••• 4242"}
    zero_width = json.dumps({"text": "\u200b".join(VISA)})
    assert json.loads(mask_secrets(zero_width)) == {"text": "•••• 4242"}


def test_lines_without_secrets_are_left_as_they_are(masking, logger):
    kept = keep(logger)
    logger.info("listening on %s:%d, pid %d, %s", "127.0.0.1", 5005, 4242, "2027-12-02 12:00:00")
    assert kept.lines == ["listening on 127.0.0.1:5005, pid 4242, 2027-12-02 12:00:00"]
    assert kept.records[0].args == ("127.0.0.1", 5005, 4242, "2027-12-02 12:00:00")


def test_the_last_resort_handler(masking, capsys):
    orphan = logging.getLogger("tests.masking.orphan")  # no handler anywhere: logging.lastResort
    orphan.propagate = False
    orphan.warning("card %s", VISA)
    assert capsys.readouterr().err == "card •••• 4242\n"


# Rasa's own start-up, in Rasa's order (rasa/__main__.py, rasa/core/run.py): the launcher installs the
# filter first, then Rasa sets up coloredlogs, structlog, the --log-file handler and sanic's loggers.
RASA_STARTUP = """
import logging, os, sys
sys.path.insert(0, os.getcwd())
from security.logs import install
install()
log_file, card = sys.argv[1], sys.argv[2]
os.environ["LOG_LEVEL_LIBRARIES"] = "INFO"
import rasa.utils.io, structlog
from rasa.core.utils import configure_file_logging
from rasa.utils.common import configure_logging_and_warnings, update_sanic_log_level
from rasa.utils.log_utils import configure_structlog
from sanic import Sanic
configure_logging_and_warnings(logging.INFO)
rasa.utils.io.configure_colored_logging(logging.INFO)
configure_structlog(logging.INFO)
configure_file_logging(logging.getLogger(), log_file, False)
Sanic("masking_check")  # sanic's dictConfig
update_sanic_log_level(log_file)
logging.getLogger("rasa.core.processor").info("root handlers: %s", card)
logging.getLogger("sanic.root").info("sanic.root: %s", card)
logging.getLogger("sanic.error").error("sanic.error: %s", card)
extra = {"status": 200, "byte": 2, "host": "127.0.0.1", "request": "GET /conversations/" + card}
logging.getLogger("sanic.access").info("", extra=extra)
logging.getLogger("socketio.server").warning("socketio: %s", card)
fullwidth = "".join(chr(0xFF10 + int(d)) for d in card.replace(" ", ""))
structlog.get_logger().info("structlog", text=fullwidth)
"""


def test_rasa_and_sanic_handlers_mask_when_rasa_configures_logging_after_install(tmp_path):
    log_file = tmp_path / "rasa.log"
    run = subprocess.run(
        [sys.executable, "-c", RASA_STARTUP, str(log_file), "4242 4242 4242 4242"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    written = {"stdout": run.stdout, "stderr": run.stderr, "log file": log_file.read_text()}
    everything = "".join(written.values())
    assert "4242 4242" not in everything and VISA not in everything and "\\uff14" not in everything
    for what in ("root handlers", "sanic.root", "sanic.error", "socketio"):
        assert f"{what}: •••• 4242" in everything, (what, written)
    assert "GET /conversations/•••• 4242" in everything, written
    assert "root handlers: •••• 4242" in written["log file"]  # the --log-file handler
    assert "sanic.error: •••• 4242" in written["log file"]
    # structlog renders JSON (ensure_ascii: `\\uff14…`) and hands it to the coloredlogs handler.
    assert '{"text": "•••• 4242", "event": "structlog"' in written["stderr"], written
