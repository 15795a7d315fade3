import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings.base")

application = get_wsgi_application()

from infusion_center import heap  # noqa: E402 - needs the application (and Django) set up

heap.install()
