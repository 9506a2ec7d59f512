"""The API's routers, one per resource; each carries its full path so route templates (used as
metric labels) read the same as the URLs."""

API_PREFIX = "/api/v1"
