"""Serves the fan-out under daphne on a free loopback port, printing `host:port` first (as the
Rust bench server does), so the bench script needs no port of its own. Run with the virtualenv's
python; the process becomes daphne (same PID)."""

import os
import socket
import sys

# daphne imports the application from the working directory.
os.chdir(os.path.dirname(os.path.abspath(__file__)))
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(1024)
listener.set_inheritable(True)
host, port = listener.getsockname()
print(f"{host}:{port}", flush=True)
daphne = os.path.join(os.path.dirname(sys.executable), "daphne")
# Verbosity 0: no access log line per socket, which would be part of what is measured.
os.execv(
    daphne,
    [daphne, "--fd", str(listener.fileno()), "-v", "0", "fanout_site.asgi:application"],
)
