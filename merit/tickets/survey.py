"""The signed survey link of a closed case: ``/survey/<token>/`` with a token signed by the site's secret
(``django.core.signing``) holding the case id and its nonce; no sign-in, one answer per case."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from merit.tickets.models import Case

SALT = "merit.tickets.survey"
MAX_AGE_DAYS = 30


def token_for(case: Case) -> str:
    return signing.dumps({"c": case.pk, "n": case.survey_nonce}, salt=SALT, compress=True)


def survey_path(case: Case) -> str:
    return reverse("survey", args=[token_for(case)])


def read_token(token: str) -> tuple[int, str] | None:
    """(case id, nonce), or None for a forged, altered or expired link."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("n"), str):
        return None
    return data["c"], data["n"]
