"""Signals of the runs' life cycle, for the procedures that follow a publication (merit.discipline turns
the flags a person must decide into proposals). Sent inside the publishing transaction."""

from django.dispatch import Signal

run_published = Signal()  # kwargs: run, user
