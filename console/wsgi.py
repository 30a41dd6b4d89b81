"""The WSGI entry point gunicorn serves: ``gunicorn console.wsgi:app``."""

from console.app import create_app

app = create_app()
