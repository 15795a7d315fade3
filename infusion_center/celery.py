import os
import warnings

from celery import Celery
from celery.exceptions import SecurityWarning

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings.base")

app = Celery("infusion_center")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["scheduling.reminders"])  # the reminder tasks live with the reminders

# `make run` as root on a developer's machine or container: the worker accepts only JSON, so Celery's warning about
# superuser privileges does not apply; scripts/devserver.py says so once and sets this.
if os.environ.get("CELERY_ROOT_WARNING_HARMLESS") == "true":
    warnings.filterwarnings("ignore", category=SecurityWarning)
