"""Reasons and memos the system writes by itself (a review that closed when the last score came in,
a notice that ended, a gift booked by the webhook) are stored as a code and its parameters, not as
a sentence: a sentence would be frozen in whatever language the request or worker happened to speak,
and the other language's readers would see it untranslated.

    stored = encode("fund.online_gift", n=42)   # ⟦sys⟧{"code": "fund.online_gift", "params": {"n": 42}}
    display(stored)                             # "线上捐赠 #42" under zh-hans, "Online gift #42" under en

`display` passes anything else through unchanged: what people typed, and rows written before codes
were stored. Each app registers its own codes (`register`): fundpool's in fundpool/system_reasons.py,
grants' in grants/system_reasons.py."""

from __future__ import annotations

import json

PREFIX = "⟦sys⟧"
_MESSAGES: dict = {}


def register(messages: dict) -> None:
    """Add {code: lazy message with %(name)s parameters}."""
    _MESSAGES.update(messages)


def encode(code: str, **params) -> str:
    """The stored form of a system-written text: its code and parameters (str, int or Decimal-as-str)."""
    if code not in _MESSAGES:
        raise KeyError(f"unregistered system reason {code}")
    params = {k: v if isinstance(v, (int, str)) else str(v) for k, v in params.items()}
    return PREFIX + json.dumps({"code": code, "params": params}, ensure_ascii=False, sort_keys=True)


def typed(text: str) -> str:
    """What a person typed, made unable to pass for a system-written text (it never starts with
    the marker that `display` reads as a code)."""
    text = text or ""
    while text.startswith(PREFIX):
        text = text[len(PREFIX) :].lstrip()
    return text


def display(stored) -> str:
    """The text in the active language; plain text (typed, or stored before codes) as it is."""
    text = "" if stored is None else str(stored)
    if not text.startswith(PREFIX):
        return text
    try:
        data = json.loads(text[len(PREFIX) :])
        message = _MESSAGES[data["code"]]
        params = data.get("params") or {}
        return str(message) % params if params else str(message)
    except (ValueError, KeyError, TypeError, AttributeError):
        return text  # cut short or from a newer version: show what is there rather than nothing
