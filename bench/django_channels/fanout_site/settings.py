"""Settings: only what Channels needs; no database, no middleware, the in-memory channel layer."""

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "channels"]
ASGI_APPLICATION = "fanout_site.asgi.application"
# Channels' own in-memory layer with its defaults (100 messages waiting per consumer; a group
# send to a full consumer drops the message), as the seed ran it in one process.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
USE_TZ = True
ROOT_URLCONF = "fanout_site.urls"
