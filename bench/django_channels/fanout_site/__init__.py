"""The Django Channels baseline of the saturating fan-out (bench/src/bin/sockets/saturate.rs)."""
