"""The HTTP side (FastAPI): calendar feeds, report submission, inspection results.

Routers live one module per concern under ``roster.web.routes``; each exposes ``router``.
"""
