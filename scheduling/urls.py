from django.urls import path

from scheduling.reminders import views as reminder_views
from scheduling.views import attention as attention_views
from scheduling.views import board as board_views
from scheduling.views import booking as booking_views
from scheduling.views import manage as manage_views
from scheduling.views import outside_doses as history_views
from scheduling.views import planning as planning_views
from scheduling.views import visit_corrections as visit_views
from scheduling.views import visits as views
from scheduling.views import worklist as worklist_views

app_name = "scheduling"

urlpatterns = [
    path("board/", board_views.board, name="board"),
    path("week/", board_views.week, name="week"),
    path("worklist/", worklist_views.worklist, name="worklist"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment-detail"),
    path("appointments/<int:pk>/visit/<slug:step>/", views.visit_step, name="visit-step"),
    path("appointments/<int:pk>/correct-time/", visit_views.visit_correct_time, name="visit-correct-time"),
    path("appointments/<int:pk>/undo-step/", visit_views.visit_undo_step, name="visit-undo-step"),
    path("appointments/<int:pk>/premedication/", views.visit_premedication, name="visit-premedication"),
    path("appointments/<int:pk>/start/", views.visit_start, name="visit-start"),
    path("appointments/<int:pk>/no-show/", views.visit_no_show, name="visit-no-show"),
    path("appointments/<int:pk>/reaction/", views.visit_reaction, name="visit-reaction"),
    path("appointments/<int:pk>/reschedule/", booking_views.appointment_reschedule, name="appointment-reschedule"),
    path("appointments/<int:pk>/cancel/", booking_views.appointment_cancel, name="appointment-cancel"),
    path("plans/start/<int:patient_id>/", booking_views.plan_create, name="plan-create"),
    path("plans/<int:pk>/find/", booking_views.plan_find, name="plan-find"),
    path("plans/<int:pk>/book/", booking_views.plan_book, name="plan-book"),
    path("plans/<int:pk>/book-maintenance/", booking_views.plan_book_maintenance, name="plan-book-maintenance"),
    path("reports/", manage_views.reports_page, name="reports"),
    path("center/chair/", manage_views.resource_list, {"kind": "chair"}, name="chair-list"),
    path("center/chair/new/", manage_views.resource_form, {"kind": "chair"}, name="chair-create"),
    path("center/chair/<int:pk>/edit/", manage_views.resource_form, {"kind": "chair"}, name="chair-edit"),
    path("center/hours/", manage_views.resource_list, {"kind": "hours"}, name="hours-list"),
    path("center/hours/new/", manage_views.resource_form, {"kind": "hours"}, name="hours-create"),
    path("center/hours/<int:pk>/edit/", manage_views.resource_form, {"kind": "hours"}, name="hours-edit"),
    path("center/closure/", manage_views.resource_list, {"kind": "closure"}, name="closure-list"),
    path("center/closure/new/", manage_views.resource_form, {"kind": "closure"}, name="closure-create"),
    path("center/closure/<int:pk>/edit/", manage_views.resource_form, {"kind": "closure"}, name="closure-edit"),
    path("center/staffing/", manage_views.resource_list, {"kind": "staffing"}, name="staffing-list"),
    path("center/staffing/new/", manage_views.resource_form, {"kind": "staffing"}, name="staffing-create"),
    path("center/staffing/<int:pk>/edit/", manage_views.resource_form, {"kind": "staffing"}, name="staffing-edit"),
    path("planning/forecast/", planning_views.forecast_page, name="planning-forecast"),
    path("planning/proposals/", planning_views.proposals_page, name="planning-proposals"),
    path("planning/proposals/new/", planning_views.proposal_request, name="planning-proposal-new"),
    path("planning/proposals/<int:pk>/accept/", planning_views.proposal_accept, name="planning-proposal-accept"),
    path("attention/", attention_views.attention_queue, name="attention"),
    path("attention/count/", attention_views.attention_count_badge, name="attention-count"),
    path("attention/<int:pk>/accept/", attention_views.attention_accept_view, name="attention-accept"),
    path("patients/<int:patient_id>/outside-doses/new/", history_views.outside_dose_create, name="outside-dose-create"),
    path("outbox/", reminder_views.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", reminder_views.reminder_retry_view, name="reminder-retry"),
    path("outbox/retry-failed/", reminder_views.reminders_retry_all_view, name="reminders-retry-failed"),
    path("reminders/unsubscribe/<str:token>/", reminder_views.unsubscribe, name="reminders-unsubscribe"),
]
