"""Appeals pages: the list (an agent's own, a supervisor's team, everything for HR and admins), filing
from an item's page (``?target=notice:5``), the appeal with its answer form, and the evidence file."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from merit.appeals import actions as A
from merit.appeals.models import AppealState, Outcome
from merit.discipline.models import ProcedureSettings
from merit.org.access import scope_of
from merit.org.calendar import work_calendar
from merit.web.feedback import refused


class AppealForm(forms.Form):
    target = forms.CharField(widget=forms.HiddenInput, max_length=100)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    evidence = forms.FileField(label=gettext_lazy("Evidence (image or PDF, optional)"), required=False)


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    answer = forms.CharField(
        label=gettext_lazy("Answer"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    corrected = forms.CharField(
        label=gettext_lazy("Corrected amount (partly upheld)"), required=False, max_length=20
    )


@login_required
def appeal_list(request):
    if scope_of(request.user).role is None:
        raise PermissionDenied(_("Your account has no role in merit yet."))
    qs = A.visible_appeals(request.user)
    state = request.GET.get("state", "")
    if state in AppealState.values:
        qs = qs.filter(state=state)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "appeals/list.html", {"page": page, "states": AppealState.choices, "state": state})


@login_required
def appeal_new(request):
    ref = request.POST.get("target") or request.GET.get("target", "")
    try:
        item = A.resolve(ref)
    except ValidationError as e:
        raise Http404(e.messages[0]) from None
    if item.agent.user_id != request.user.pk:
        raise Http404  # only the agent concerned sees the form; nobody learns of another's item
    settings = ProcedureSettings.current()
    closes = work_calendar().add_workdays(item.published_on, settings.appeal_file_days)
    form = AppealForm(request.POST or None, request.FILES or None, initial={"target": ref})
    if request.method == "POST" and form.is_valid():
        try:
            a = A.file_appeal(request.user, ref, form.cleaned_data["reason"], form.cleaned_data["evidence"])
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(
                request, _("Appeal filed; the answer is due by %(day)s.") % {"day": a.answer_due}
            )
            return redirect("appeals:detail", a.pk)
    return render(request, "appeals/new.html", {"form": form, "item": item, "closes": closes})


@login_required
def appeal_detail(request, pk: int):
    a = get_object_or_404(A.visible_appeals(request.user), pk=pk)
    may = A.may_answer(request.user, a)
    return render(
        request,
        "appeals/detail.html",
        {
            "a": a,
            "may_answer": may,
            "form": AnswerForm() if may else None,
            "may_withdraw": a.is_open and a.filed_by_id == request.user.pk,
        },
    )


@login_required
@require_POST
def appeal_answer(request, pk: int):
    a = get_object_or_404(A.visible_appeals(request.user), pk=pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome and write the answer."))
        return redirect("appeals:detail", a.pk)
    d = form.cleaned_data
    try:
        A.answer(request.user, a, d["outcome"], d["answer"], d["corrected"])
    except (ValidationError, PermissionDenied) as e:
        refused(request, e)
    else:
        messages.success(request, _("Answer saved."))
    return redirect("appeals:detail", a.pk)


@login_required
@require_POST
def appeal_withdraw(request, pk: int):
    a = get_object_or_404(A.visible_appeals(request.user), pk=pk)
    try:
        A.withdraw(request.user, a)
    except (ValidationError, PermissionDenied) as e:
        refused(request, e)
    return redirect("appeals:detail", a.pk)


@login_required
def appeal_evidence(request, pk: int):
    a = get_object_or_404(A.visible_appeals(request.user), pk=pk)
    if not a.evidence:
        raise Http404
    response = FileResponse(a.evidence.open("rb"), content_type=a.evidence_type)
    response["Content-Disposition"] = f'inline; filename="appeal-{a.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
