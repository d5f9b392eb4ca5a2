"""The gateway's web pages: the app (app.py) and the API docs (docs.py)."""
