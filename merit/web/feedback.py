"""Telling the user why an action was refused: one message per reason, on the next page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError


def refused(request, error: Exception) -> None:
    """``error`` (a ValidationError with its messages, or a PermissionDenied with its text) as an error
    message of ``request``."""
    text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, text)
