"""The API dialects the gateway serves besides its own /v1 API: one module per
replaced system whose paths, bodies or envelope differ (services/runtime/envelopes.py
says which paths are whose). Each module holds the code of one proto service."""
