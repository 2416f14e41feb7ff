"""No log line holds a card number, a JWT or a bearer token, whichever library writes it.

`MaskSecrets` rewrites a record before any handler formats it: the message (`record.getMessage()`,
then `record.msg` = the masked text and `record.args` = None), the exception and stack text, and the
string attributes a call added with `extra=` (sanic's access log puts the URL there). Card numbers are
masked by the rule of `security.cards`, also inside JSON-escaped text (`\\uff14`, `\\n` between digits);
`eyJ….eyJ….…` becomes `[token]` and `Bearer <anything>` becomes `Bearer [token]`.

`install()` is called once by every entry point, after its own logging set-up. It adds the filter to
the root logger and its handlers, and wraps `logging.Handler.handle` so that every handler runs it:
handlers created later (uvicorn's and sanic's `dictConfig`, Rasa's coloredlogs and `--log-file`
handlers), handlers of loggers that do not propagate (`sanic.access`, `uvicorn.access`), and
`logging.lastResort`. A logger filter alone sees only records logged on that very logger; a record
factory (`logging.setLogRecordFactory`) runs before `extra=` is applied, formats every record eagerly
and is a single process-wide slot another library may take. Wrapping `Handler.handle` sees each record
at the moment a handler is about to write it, whoever created the handler and whenever.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterable
from typing import Any

from security.cards import card_number_spans, find_card_data
from security.tokens import JWT_SHOWN_AS, without_jwts

REDACTED = JWT_SHOWN_AS  # what a JWT or a bearer token becomes
_BEARER = re.compile(r"(?i)\b(bearer)\s+(?!\[token\])[^\s'\",;]+")
_DIGIT = re.compile(r"\d")
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|U([0-9a-fA-F]{8})|([ntrfv]))")
_CONTROLS = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}
# Loggers whose formatter reads `record.args` (uvicorn's access formatter unpacks them): their args are
# masked one by one and kept.
KEEP_ARGS = frozenset({"uvicorn.access"})
# What every LogRecord has; any other attribute came from `extra=`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_TRACEBACKS = logging.Formatter()


def mask_secrets(text: str) -> str:
    """`text` with card numbers, named security codes, JWTs and bearer tokens masked."""
    text = without_jwts(text)
    if "earer" in text or "EARER" in text:
        text = _BEARER.sub(rf"\1 {REDACTED}", text)
    if _DIGIT.search(text):
        if "\\" in text:
            text = _mask_escaped_cards(text)
        text = find_card_data(text).text
    return text


class MaskSecrets(logging.Filter):
    """Masks secrets in a record, in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit: the handler would print them raw in its error report
        record.msg, record.args = mask_secrets(f"{record.msg!s} {record.args!r}"), None
    else:
        masked = mask_secrets(message)
        if masked != message:
            _rewrite(record, masked)
    for key, value in list(record.__dict__.items()):
        if isinstance(value, str) and (key not in _STANDARD or key == "message"):
            record.__dict__[key] = mask_secrets(value)
    if record.exc_info and not record.exc_text:
        record.exc_text = _TRACEBACKS.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_secrets(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_secrets(record.stack_info)


def _rewrite(record: logging.LogRecord, masked: str) -> None:
    if record.name in KEEP_ARGS and isinstance(record.args, tuple):
        args = tuple(mask_secrets(arg) if isinstance(arg, str) else arg for arg in record.args)
        template = mask_secrets(str(record.msg))
        try:
            kept = template % args
        except (TypeError, ValueError):
            kept = None
        if kept is not None and mask_secrets(kept) == kept:
            record.msg, record.args = template, args
            record.__dict__.pop("color_message", None)
            return
    record.msg, record.args = masked, None
    record.__dict__.pop("color_message", None)  # uvicorn's coloured template of the raw arguments


def _mask_escaped_cards(text: str) -> str:
    """Card numbers written with escapes (`\\uff14\\uff12…`, `4242\\n4242…`, JSON's ensure_ascii): found
    on the decoded text, masked in `text`, the rest of `text` left as it was."""
    escapes = list(_ESCAPE.finditer(text))
    if not escapes:
        return text
    relevant = False
    decoded: list[str] = []
    starts: list[int] = []  # position in `decoded` where each piece begins
    origins: list[tuple[int, int]] = []  # (start in `text`, length in `text`); length 0: literal piece
    position = last = 0
    for escape in escapes:
        if escape.start() > last:
            decoded.append(text[last : escape.start()])
            starts.append(position)
            origins.append((last, 0))
            position += escape.start() - last
        char = _decode(escape)
        neighbours = text[escape.start() - 1 : escape.start()] + text[escape.end() : escape.end() + 1]
        relevant = relevant or char.isdecimal() or any(n.isdecimal() for n in neighbours)
        decoded.append(char)
        starts.append(position)
        origins.append((escape.start(), escape.end() - escape.start()))
        position += 1
        last = escape.end()
    if not relevant:
        return text
    decoded.append(text[last:])
    starts.append(position)
    origins.append((last, 0))

    def where(index: int, end: bool) -> int:
        piece = bisect.bisect_right(starts, index) - 1
        origin, length = origins[piece]
        if length:
            return origin + length if end else origin
        return origin + index - starts[piece] + (1 if end else 0)

    spans = card_number_spans("".join(decoded))
    out: list[str] = []
    cursor = 0
    for start, end, mask in spans:
        begin = where(start, end=False)
        out += [text[cursor:begin], mask]
        cursor = where(end - 1, end=True)
    out.append(text[cursor:])
    return "".join(out)


def _decode(escape: re.Match[str]) -> str:
    code = escape.group(1) or escape.group(2) or escape.group(3)
    if code:
        try:
            return chr(int(code, 16))
        except (ValueError, OverflowError):
            return "?"
    return _CONTROLS[escape.group(4)]


# --- installation -------------------------------------------------------------------------------------

FILTER = MaskSecrets()
_ORIGINAL_HANDLE = logging.Handler.handle


def _masking_handle(self: logging.Handler, record: logging.LogRecord) -> Any:
    mask_record(record)
    return _ORIGINAL_HANDLE(self, record)


def install(logger_names: Iterable[str] = ("",)) -> MaskSecrets:
    """Mask secrets in every record any handler writes, from now on (idempotent)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        for filterer in (logger, *logger.handlers):
            if FILTER not in filterer.filters:
                filterer.addFilter(FILTER)
    logging.Handler.handle = _masking_handle  # type: ignore[method-assign]
    return FILTER


def uninstall(logger_names: Iterable[str] = ("",)) -> None:
    """Undo `install` (tests)."""
    logging.Handler.handle = _ORIGINAL_HANDLE  # type: ignore[method-assign]
    for name in logger_names:
        logger = logging.getLogger(name)
        for filterer in (logger, *logger.handlers):
            filterer.removeFilter(FILTER)
