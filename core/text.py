"""Names people type (groups, projects, people, donors): no invisible or direction-control
characters, one spelling of each accented letter, single spaces; and, for names that must be
unique, a key under which names that look the same are the same name."""

from __future__ import annotations

import re
import unicodedata

# Characters with no glyph of their own that are not in category Cf: Hangul fillers (drawn as
# blank), the combining grapheme joiner and the variation selectors (which only pick a glyph form).
_INVISIBLE = {0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}
_SPACES = re.compile(r"\s+")


def _one_space(match) -> str:
    # A full-width space typed between Chinese words stays full width; any other run is one space.
    return "\u3000" if set(match.group()) == {"\u3000"} else " "


def _visible(text: str) -> str:
    # Cf: format characters, the bidi controls among them (LRM, RLM, ALM, LRE…RLO, LRI…PDI), zero-
    # width space and joiners, the BOM, soft hyphen, word joiner, tags. Cc: control characters.
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") and ord(ch) not in _INVISIBLE)


def clean_name(value) -> str:
    """The name as it is kept and shown: invisible and direction-control characters removed,
    accents composed (NFC: "e" + U+0301 is "é"), runs of spaces made one space, trimmed.

    Full-width forms stay as typed (“（二期）” is good Chinese typography); `name_key` folds them.
    Tabs and line breaks are control characters but separate words, so they count as spaces."""
    text = _visible(_SPACES.sub(_one_space, str(value or "")))
    return _SPACES.sub(_one_space, unicodedata.normalize("NFC", text)).strip()


def name_key(value) -> str:
    """What a uniqueness check compares: the clean name in NFKC, so full-width and ordinary
    letters, digits, brackets and spaces, and other compatibility forms, are one name."""
    text = _visible(unicodedata.normalize("NFKC", clean_name(value)))
    return _SPACES.sub(" ", text).strip()


def spreadsheet_safe(value):
    """A cell value a spreadsheet program will not run as a formula: text starting like one gets a
    leading apostrophe; numbers pass; None is empty. For every CSV and XLSX export."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
