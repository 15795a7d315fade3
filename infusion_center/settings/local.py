"""Development settings for `manage.py`: the base settings with DEBUG on unless the environment says otherwise.

The servers (wsgi.py, asgi.py, celery.py) load the base settings, which refuse to start without a secret key when
DEBUG is off. Production shells that run `manage.py` set DJANGO_SETTINGS_MODULE=infusion_center.settings.base (or
DJANGO_DEBUG=false) so their commands see exactly what the servers see.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")

from infusion_center.settings.base import *  # noqa: E402,F403
