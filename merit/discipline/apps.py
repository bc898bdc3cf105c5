from django.apps import AppConfig


class DisciplineConfig(AppConfig):
    name = "merit.discipline"
    verbose_name = "奖惩 rewards and penalties"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from merit.assessment.signals import run_published

        run_published.connect(_flags_to_proposals, dispatch_uid="discipline.flags")


def _flags_to_proposals(sender, run, user, **kwargs) -> None:
    from merit.discipline.actions import proposals_from_run

    proposals_from_run(run, user)
