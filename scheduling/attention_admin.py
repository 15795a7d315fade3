"""Admin saves that can break bookings (catalogue, chairs, hours, closures, staffing) say how many they flagged."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse

from scheduling.selectors.attention import attention_count


class ReportsFlaggedBookingsMixin:
    """After the save (and its inlines), a warning with the number of bookings that now need attention."""

    def save_model(self, request, obj, form, change):
        request._attention_before = attention_count()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_attention_before", None)
        if before is None:
            return
        flagged = attention_count() - before
        if flagged > 0:
            self.message_user(
                request,
                f"{flagged} booking{'s' if flagged != 1 else ''} now need{'s' if flagged == 1 else ''} attention: "
                f"see {reverse('scheduling:attention')}.",
                level=messages.WARNING,
            )
