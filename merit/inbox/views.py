"""The inbox: a user's own notifications, newest first; opening one marks it read and follows its link."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from merit.inbox.models import Notification


@login_required
def inbox(request):
    notes = Notification.objects.filter(user=request.user)
    page = Paginator(notes, 50).get_page(request.GET.get("page"))
    return render(request, "inbox/list.html", {"page": page})


@login_required
@require_POST
def open_note(request, pk: int):
    note = get_object_or_404(Notification, pk=pk, user=request.user)  # another's: 404
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()}):
        return redirect(note.url)
    return redirect("inbox:list")


@login_required
@require_POST
def read_all(request):
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("inbox:list")
