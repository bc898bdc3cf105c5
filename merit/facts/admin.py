from django.contrib import admin

from merit.facts.models import FACT_MODELS, field_name


def _admin(model):
    table = model.TABLE
    cols = [field_name(c) for c in table.columns][:8]
    filters = [field_name(c) for c in table.columns if c.choices][:3]

    class FactAdmin(admin.ModelAdmin):
        list_display = cols
        list_filter = filters
        search_fields = [
            f"{field_name(table.column(k))}" + ("__agent_id" if k == "agent_id" else "") for k in table.key
        ]
        raw_id_fields = ["agent"] if any(c.agent_ref for c in table.columns) else []
        show_full_result_count = False  # counting millions of rows on every page is slow

    return FactAdmin


for _model in FACT_MODELS.values():
    admin.site.register(_model, _admin(_model))
