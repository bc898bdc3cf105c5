from merit.org.access import scope_of


def scope(request):
    """``scope``: what the signed-in user may see (merit.org.access.Scope), for menus."""
    return {"scope": scope_of(getattr(request, "user", None))}
