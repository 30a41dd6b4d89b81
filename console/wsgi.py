"""The WSGI entry point gunicorn serves: ``gunicorn console.wsgi:app``."""

import sys

from console.app import create_app
from console.foundation.settings import ConfigurationError

try:
    app = create_app()
except ConfigurationError as exc:
    # A message for whoever deploys, not a traceback; exit code 3 tells gunicorn's master that
    # the worker cannot boot, so it stops instead of starting workers again and again.
    print(f"控制台未启动：{exc}", file=sys.stderr, flush=True)
    sys.exit(3)
