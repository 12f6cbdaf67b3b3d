"""gunicorn settings for one Yishi process: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

One process holds its own Socket.IO connections, so it runs exactly one gevent worker; to serve
more people, run more processes (the systemd template yishi@PORT.service), put nginx in front
with sticky sessions (deploy/nginx/yishi.conf), and let them share PostgreSQL (DATABASE_URL) and
Redis (SOCKETIO_MESSAGE_QUEUE for the live rooms, RATELIMIT_STORAGE_URI for the login throttle).

Everything can be set from the environment, which is where the systemd unit puts it:
    BIND            address to listen on (default 127.0.0.1:8001; the unit passes 127.0.0.1:%i)
    GUNICORN_TIMEOUT  seconds a silent worker may live (default 60)
    ACCESS_LOG=1    log every request (nginx usually keeps the access log)
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:8001")

# gevent: thousands of idle WebSockets cost a greenlet each. wsgi.py patches the standard library,
# and psycopg2 (on PostgreSQL) before the app is created. Never more than one worker per process:
# a second worker would receive half of a Socket.IO session's long-polling requests.
worker_class = "gevent"
workers = 1
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "4000"))

# A WebSocket is long-lived, but a worker that stops answering its heartbeat is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5

# nginx on the same machine is the only client: trust its X-Forwarded-* headers there too
# (the app itself reads them only with TRUSTED_PROXIES set, see app/config.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-" if os.environ.get("ACCESS_LOG") == "1" else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
proc_name = "yishi-" + bind.rsplit(":", 1)[-1]

# Don't import the app before forking: each process builds its own database pool.
preload_app = False
