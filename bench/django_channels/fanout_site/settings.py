"""Settings: only what Channels needs; no database, no middleware; the in-memory channel layer,
or with REDIS_URL set, channels_redis's layer, which several daphne processes share."""

import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "channels"]
ASGI_APPLICATION = "fanout_site.asgi.application"
# Channels' own in-memory layer with its defaults (100 messages waiting per consumer; a group
# send to a full consumer drops the message), as the seed ran it in one process.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Across processes: the seed's production layer, with its defaults (100 messages waiting per
# channel, 60 s expiry).
if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
        }
    }
USE_TZ = True
ROOT_URLCONF = "fanout_site.urls"
