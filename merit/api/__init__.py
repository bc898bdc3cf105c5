"""The JSON API (django-ninja): OpenAPI docs at /api/docs, the schema at /api/openapi.json."""
