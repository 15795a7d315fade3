"""Settings for the app server the restart test starts: the production settings (from the environment), with
static files served by name so that no collectstatic run is needed first."""

from infusion_center.settings.base import *  # noqa: F403

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
