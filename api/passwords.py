"""Password policy: long enough, not common, not built from the account's own words.

zxcvbn (Dropbox's estimator: frequency lists of common passwords, names, words, keyboard
patterns, dates) scores a password 0-4; below 3 is refused with its advice.
"""

from __future__ import annotations

import re

from wtforms import Form
from wtforms.fields import Field
from wtforms.validators import ValidationError
from zxcvbn import zxcvbn

MIN_PASSWORD = 10
MAX_PASSWORD = 200
MIN_SCORE = 3
_ESTIMATE_CHARS = 64  # zxcvbn's work grows with length; a longer password only scores higher


def _context_words(values: list[str]) -> list[str]:
    words: list[str] = []
    for value in values:
        value = (value or "").strip().lower()
        if not value:
            continue
        words.append(value)
        local = value.split("@")[0]
        words.append(local)
        words.extend(w for w in re.split(r"[^a-z0-9]+", local + " " + value) if len(w) >= 4)
    return list(dict.fromkeys(w for w in words if len(w) >= 4))


def password_problem(password: str, context: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why this password is refused (a helpful sentence), or None if it is fine."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    words = _context_words(list(context))
    lowered = password.lower()
    if any(w in lowered for w in words):
        return (
            "Don't build the password from your e-mail, name or company name; "
            "a few unrelated words work well."
        )
    result = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    warning = feedback.get("warning") or "This password is easy to guess."
    tips = " ".join(feedback.get("suggestions") or [])
    return f"{warning} {tips}".strip()


class StrongPassword:
    """WTForms validator: the form's email/company/name fields (and `form.password_context`,
    set by the view: the account's e-mail and company) are the words the password must avoid."""

    def __call__(self, form: Form, field: Field) -> None:
        context = list(getattr(form, "password_context", ()) or ())
        for name in ("email", "company", "name"):
            if name in form and isinstance(form[name].data, str):
                context.append(form[name].data)
        problem = password_problem(field.data or "", context)
        if problem:
            raise ValidationError(problem)
