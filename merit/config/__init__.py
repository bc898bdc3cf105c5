"""Settings, URLs and the WSGI entry point of the merit application."""
