# imaging-harness: compiled
"""Which JSON number texts FHIR needs kept, and a fast scan for them (used by jsonparse).

A parsed number keeps only its value, but a decimal's text is what FHIR's regex judges (R5: at most
18 digits before the point and 17 after). SAFE_NUMBER is a form of number text every version's
decimal regex accepts (tests/validation/test_fidelity.py proves it against each); the parser keeps the text
of any float token outside it. number_texts_needed tells, from the raw bytes and without parsing,
whether a document may hold such a token, so that a parser which cannot keep texts (orjson) hands
it to one that can (the stdlib's, with a parse_float hook).
"""

from __future__ import annotations

import re

#: number tokens whose text every version's decimal regex accepts (tests/validation/test_fidelity.py proves it
#: against each version's): at most 18 digits before the point and 17 after (R5), and no exponent
#: (STU3's regex has none). Texts outside it are recorded (jsonparse.Duplicates.numbers).
SAFE_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?", re.ASCII)

# the shape of a text for finding number tokens: digits -> '0', '.' stays, e/E -> 'e', + and - -> '-',
# JSON's structural characters and whitespace -> ' ' (what bounds a number token), anything else -> '"'
# (so digits inside a string are bounded by '"', not by ' ', unless the string holds ', ' or ': ')
_T = bytearray(b'"' * 256)
# ord() of each character of str literals: a compiled build (Cython) iterates a bytes literal as
# one-byte bytes, not as ints, so the table is built from code points the same way in both builds
for _c in "0123456789":
    _T[ord(_c)] = 48
_T[ord(".")] = 46
for _c in "eE":
    _T[ord(_c)] = 101
for _c in "+-":
    _T[ord(_c)] = 45
for _c in ",:[]{} \t\r\n":
    _T[ord(_c)] = 32
SHAPE = bytes(_T)
del _T, _c
# a run of 18 digits before an exponent, or ending a number (a float's when a '.' comes before the
# run); a UID's long component ends before a '"' or a '.', so it is neither
_RUN_BEFORE_EXPONENT = b"0" * 18 + b"e"
_RUN_AT_END = b"0" * 18 + b" "
_RUN_18 = b"0" * 18  # no run this long: no number needs its text for its digits
_RUN_19 = b"0" * 19
_ZEROS = re.compile(rb"0*")
_EXPONENT = re.compile(rb"0e-?0+(?= |\Z)")  # a digit, then an exponent that ends a token
_MANTISSA = frozenset(b"0.-")


def long_fraction(shape: bytes) -> bool:
    """Whether a shape (see SHAPE) holds a number ending in 18 digits after its '.'."""
    i = shape.find(_RUN_AT_END)
    while i != -1:
        start = _run_start(shape, i)
        if shape[start - 1:start] == b".":
            return True
        i = shape.find(_RUN_AT_END, i + len(_RUN_AT_END))
    return False


def _run_start(shape: bytes, i: int) -> int:
    """Where the run of digits that includes position i starts."""
    while i > 0 and shape[i - 1] == 48:
        i -= 1
    return i


def _long_whole(shape: bytes) -> bool:
    """Whether a shape holds a float whose token starts with 19 digits (then a '.' or an exponent);
    an integer's text is its value's, and a UID's long component starts after a '.'."""
    i = shape.find(_RUN_19)
    while i != -1:
        end = _ZEROS.match(shape, i + 19).end()  # type: ignore[union-attr]
        if (i == 0 or shape[i - 1] in b" -") and shape[end:end + 1] in (b".", b"e"):
            return True
        i = shape.find(_RUN_19, end)
    return False


def number_texts_needed(raw: bytes) -> bool:
    """Whether raw may hold a number token outside SAFE_NUMBER (whose text the stdlib parse keeps):
    a long run of digits at the end of a number or before its exponent or fraction, or a number with
    an exponent. A string that looks like one (', 1e05 ' inside a text) only sends the document to
    the stdlib parse, which decides token by token."""
    shape = raw.translate(SHAPE)
    if _RUN_18 in shape and (_RUN_BEFORE_EXPONENT in shape or long_fraction(shape) or _long_whole(shape)):
        return True
    return has_exponent(shape)


def has_exponent(shape: bytes) -> bool:
    """Whether a shape holds a number token with an exponent (outside SAFE_NUMBER: STU3's decimal
    has no exponent). Digits, an 'e' and digits inside a string (a hex id) are bounded by '"'."""
    for m in _EXPONENT.finditer(shape):
        s = m.start()
        while s > 0 and shape[s - 1] in _MANTISSA:
            s -= 1
        if s == 0 or shape[s - 1] == 32:
            return True
    return False
