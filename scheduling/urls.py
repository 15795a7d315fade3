from django.urls import path

from scheduling.reminders import views as reminder_views

app_name = "scheduling"

urlpatterns: list = [
    path("outbox/", reminder_views.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", reminder_views.reminder_retry_view, name="reminder-retry"),
    path("reminders/unsubscribe/<str:token>/", reminder_views.unsubscribe, name="reminders-unsubscribe"),
]
