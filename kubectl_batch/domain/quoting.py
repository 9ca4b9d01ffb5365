"""Go's ``strconv.Quote`` (``%q``): user input quoted so that an error stays one line.

A schedule or zone read from a manifest or a flag can hold a newline, a tab or an
invisible character (zero-width space, no-break space); quoted this way each one is
shown as an escape (``\\n``, ``\\t``, ``\\u200b``, ``\\u00a0``) and the ``error:`` line
stays one line, exactly as kubectl and the API server would print it.
"""

from __future__ import annotations

__all__ = ["go_quote"]

_NAMED = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(text: str) -> str:
    """``strconv.Quote(text)``: double quotes; printable runes as they are (Go's
    ``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols and the ASCII
    space), everything else escaped."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # the common case
    out = ['"']
    for c in text:
        named = _NAMED.get(c)
        if named is not None:
            out.append(named)
        elif c.isprintable():  # (Python's "printable" is Go's IsPrint: not C* or Z* but " ")
            out.append(c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\x{ord(c):02x}")
        elif 0xD800 <= ord(c) <= 0xDFFF:  # a lone surrogate: Go sees invalid UTF-8
            out.append("\\ufffd")
        elif ord(c) < 0x10000:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    out.append('"')
    return "".join(out)
