"""The ASGI application: `/raw/ws`, the path the Rust raw route serves, and nothing else."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanout_site.settings")
# Django is set up before the consumer (and its models' machinery) is imported.
django_asgi = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from fanout_site.consumers import FanOut  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi,
        "websocket": URLRouter([path("raw/ws", FanOut.as_asgi())]),
    }
)
