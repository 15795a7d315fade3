import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings.base")

app = Celery("infusion_center")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["scheduling.reminders"])  # the reminder tasks live with the reminders
