"""Server-rendered pages (Chinese first, English switchable), htmx for partial updates."""
