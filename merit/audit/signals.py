"""Audit rows for the writes made through Django models: teams, agents, roles, shifts, users, API tokens,
imports submitted and fact rows edited one by one (the admin site).

``pre_save`` reads the stored values of the watched fields (one query by primary key, only the fields
being saved); ``post_save`` records what changed (``<label>.update`` with the changed fields before and
after; nothing when nothing changed), or the new row (``<label>.create``); ``post_delete`` the row
removed (``<label>.delete``). The actor is :func:`merit.audit.log.current_actor`.

Writes that send no signals — a queryset's ``update()``, ``bulk_create`` and the SQL of
``merit.facts.io.write_tables`` — are audited where they are made, as one row with counts
(``ingest.import.apply``).

Never recorded: password hashes (a change is its own row, ``auth.user.password_change``, without any
value), API token hashes, last sign-in and token last-use times.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from merit.audit.log import current_actor, jsonable, record

USER_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser")
NEVER = {"password", "token_hash", "last_login", "last_used_at"}


@dataclass
class Watched:
    model: type[models.Model]
    label: str  # action prefix: "org.agent"
    fields: list[models.Field]
    creates_only: bool = False
    password: bool = False  # the user model: a changed password hash is an event, without its value
    by_name: dict[str, models.Field] = field(init=False)

    def __post_init__(self):
        self.by_name = {f.name: f for f in self.fields}


WATCHED: dict[type[models.Model], Watched] = {}


def _value(f: models.Field, value):
    """A field's value as recorded: its Python type (a DecimalField at its scale), then plain JSON."""
    with contextlib.suppress(ValidationError, TypeError, ValueError):
        value = f.to_python(value)
    if isinstance(f, models.DecimalField) and isinstance(value, Decimal) and value.is_finite():
        value = value.quantize(Decimal(1).scaleb(-f.decimal_places))
    return jsonable(value)


def snapshot(w: Watched, instance) -> dict:
    return {f.name: _value(f, getattr(instance, f.attname)) for f in w.fields}


def _saved_fields(w: Watched, update_fields) -> list[models.Field]:
    if update_fields is None:
        return w.fields
    return [w.by_name[n] for n in update_fields if n in w.by_name]


def _pre_save(sender, instance, raw=False, using=None, update_fields=None, **kwargs):
    w = WATCHED.get(sender)
    if w is None or w.creates_only:
        return
    instance._audit_old = None
    if instance._state.adding or instance.pk is None:
        return
    columns = [f.attname for f in _saved_fields(w, update_fields)]
    if w.password and (update_fields is None or "password" in update_fields):
        columns.append("password")
    if columns:
        instance._audit_old = (
            sender._base_manager.using(using).filter(pk=instance.pk).values(*columns).first()
        )


def _post_save(sender, instance, created, raw=False, using=None, update_fields=None, **kwargs):
    w = WATCHED.get(sender)
    if w is None:
        return
    old = instance.__dict__.pop("_audit_old", None)
    actor = current_actor()
    if created:
        if actor is None and w.creates_only:
            actor = getattr(instance, "created_by", None)  # e.g. an import submitted from the shell
        detail = {"password_set": instance.has_usable_password()} if w.password else None
        action = "submit" if w.creates_only else "create"
        record(actor, f"{w.label}.{action}", instance, after=snapshot(w, instance), detail=detail)
        return
    if w.creates_only or not old:
        return
    before, after = {}, {}
    for f in _saved_fields(w, update_fields):
        if f.attname not in old:
            continue
        was, now = _value(f, old[f.attname]), _value(f, getattr(instance, f.attname))
        if was != now:
            before[f.name], after[f.name] = was, now
    if before:
        verb = "update"
        if w.label == "api.token" and after.get("revoked") is True and set(after) == {"revoked"}:
            verb = "revoke"
        record(actor, f"{w.label}.{verb}", instance, before=before, after=after)
    if w.password and "password" in old and old["password"] != instance.password:
        # Django re-hashes a password at sign-in when its hasher's settings changed
        # (check_password → save(update_fields=["password"])): the same password, not an event.
        rehash = getattr(instance, "_password", None) is None and set(update_fields or ()) == {"password"}
        if not rehash:
            record(
                actor,
                f"{w.label}.password_change",
                instance,
                detail={"password_set": instance.has_usable_password()},
            )


def _post_delete(sender, instance, using=None, **kwargs):
    w = WATCHED.get(sender)
    if w is None or w.creates_only:
        return
    record(current_actor(), f"{w.label}.delete", instance, before=snapshot(w, instance))


def watch(model, label: str, *, only=None, creates_only: bool = False, password: bool = False) -> None:
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f.attname not in NEVER
        and f.name not in NEVER
        and (only is None or f.name in only)
    ]
    WATCHED[model] = Watched(model, label, fields, creates_only=creates_only, password=password)
    uid = f"merit.audit:{model._meta.label_lower}"
    pre_save.connect(_pre_save, sender=model, dispatch_uid=uid)
    post_save.connect(_post_save, sender=model, dispatch_uid=uid)
    post_delete.connect(_post_delete, sender=model, dispatch_uid=uid)


def connect() -> None:
    """Connect the receivers (the audit app's ``ready()``)."""
    from django.contrib.auth import get_user_model

    from merit.api.models import ApiToken
    from merit.facts.models import FACT_MODELS
    from merit.ingest.models import Import
    from merit.org.models import Agent, Membership, Shift, Team

    watch(Team, "org.team")
    watch(Agent, "org.agent")
    watch(Membership, "org.membership")
    watch(Shift, "org.shift")
    watch(get_user_model(), "auth.user", only=USER_FIELDS, password=True)
    watch(ApiToken, "api.token")
    watch(
        Import,
        "ingest.import",
        only=("source_name", "file_sha256", "profile", "state", "duplicate_of", "size_bytes", "files"),
        creates_only=True,
    )
    for model in FACT_MODELS.values():
        watch(model, model._meta.label_lower)
