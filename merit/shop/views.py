"""The points shop's pages: the catalogue with the agent's balance, their orders and the fines they can
offset; HR's queue of orders to fulfil and the prizes to manage. Supervisors see their team's orders."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merit.audit.log import record
from merit.org.access import OWN, filter_to_user, scope_of
from merit.org.models import Agent
from merit.shop import actions as A
from merit.shop.models import Order, OrderState, Prize
from merit.web.feedback import refused


class PrizeForm(forms.ModelForm):
    class Meta:
        model = Prize
        fields = ["name_zh", "name_en", "points", "stock", "active"]

    def clean_points(self):
        points = self.cleaned_data["points"]
        if not points or points < 1:
            raise ValidationError(_("A prize costs at least 1 point."))
        return points


@login_required
def catalogue(request):
    s = scope_of(request.user)
    if s.role is None:
        raise PermissionDenied(_("Your account has no role in merit yet."))
    agent = Agent.objects.filter(user=request.user).first() if s.kind == OWN else None
    context = {
        "prizes": Prize.objects.filter(active=True),
        "agent": agent,
        "may_manage": A.may_manage(request.user),
    }
    if agent is not None:
        context |= {
            "balance": A.points_balance(agent),
            "orders": Order.objects.filter(agent=agent).select_related("prize", "fine")[:50],
            "fines": list(A.offsettable_fines(agent)[:20]),
        }
    else:
        orders = filter_to_user(Order.objects.select_related("agent", "prize"), request.user, agent="agent")
        context["orders"] = orders[:50]
    return render(request, "shop/catalogue.html", context)


@login_required
@require_POST
def redeem(request, pk: int):
    prize = get_object_or_404(Prize, pk=pk, active=True)
    try:
        A.redeem(request.user, prize)
    except (ValidationError, PermissionDenied) as e:
        refused(request, e)
    else:
        messages.success(request, _("Redeemed: %(prize)s. HR will hand it over.") % {"prize": prize.name_zh})
    return redirect("shop:catalogue")


@login_required
@require_POST
def offset(request, pk: int):
    agent = Agent.objects.filter(user=request.user).first()
    fine = get_object_or_404(A.offsettable_fines(agent), pk=pk) if agent else None
    if fine is None:
        raise PermissionDenied
    try:
        order = A.offset(request.user, fine)
    except (ValidationError, PermissionDenied) as e:
        refused(request, e)
    else:
        messages.success(
            request,
            _("%(points)d points paid %(amount)s yuan of the fine.")
            % {"points": order.points, "amount": order.amount},
        )
    return redirect("shop:catalogue")


def _manager(request) -> None:
    if not A.may_manage(request.user):
        raise PermissionDenied(_("Only HR and admins manage the shop."))


@login_required
def queue(request):
    _manager(request)
    state = request.GET.get("state", OrderState.PLACED)
    qs = Order.objects.select_related("agent", "prize", "fine")
    if state in OrderState.values:
        qs = qs.filter(state=state)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "shop/queue.html",
        {
            "page": page,
            "state": state,
            "states": OrderState.choices,
            "prizes": Prize.objects.all(),
            "form": PrizeForm(),
        },
    )


@login_required
@require_POST
def order_act(request, pk: int, action: str):
    _manager(request)
    order = get_object_or_404(Order, pk=pk)
    try:
        if action == "fulfil":
            A.fulfil(request.user, order, request.POST.get("note", ""))
        elif action == "cancel":
            A.cancel(request.user, order, request.POST.get("note", ""))
        else:
            raise PermissionDenied
    except (ValidationError, PermissionDenied) as e:
        refused(request, e)
    else:
        messages.success(request, _("Saved."))
    return redirect("shop:queue")


@login_required
def prize_edit(request, pk: int | None = None):
    _manager(request)
    prize = get_object_or_404(Prize, pk=pk) if pk else None
    form = PrizeForm(request.POST or None, instance=prize)
    if request.method == "POST" and form.is_valid():
        from django.db import transaction

        with transaction.atomic():
            obj = form.save(commit=False)
            if obj.pk is None:
                obj.created_by = request.user
            obj.save()
            record(
                request.user,
                "shop.prize",
                obj,
                after={f: str(getattr(obj, f)) for f in PrizeForm.Meta.fields},
            )
        messages.success(request, _("Prize saved."))
        return redirect("shop:queue")
    return render(request, "shop/prize.html", {"form": form, "prize": prize})
