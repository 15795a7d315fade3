from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from infusion_center import formats


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and the load test's ceiling: answers "ok" when the database answers. No data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def healthz_mail(request: HttpRequest) -> HttpResponse:
    """For monitoring: 503 when the mail server has failed for more than REMINDERS_MAIL_ALERT_MINUTES with
    nothing sent since (counts and times only, no patient data)."""
    from scheduling.reminders.health import mail_outage

    outage = mail_outage()
    if outage is None:
        return HttpResponse("ok", content_type="text/plain")
    body = (
        f"mail failing since {outage.since.isoformat(timespec='seconds')} ({outage.minutes} min); "
        f"{formats.count(outage.waiting, 'reminder')} waiting to be retried"
    )
    return HttpResponse(body, content_type="text/plain", status=503)
