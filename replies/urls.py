from django.urls import path

from replies import patient_views, staff_views

app_name = "replies"

urlpatterns = [
    # Patients, by signed link (public: the link is the credential; "patient-link" marks them for the URL walk).
    path("p/visit/<str:token>/", patient_views.visit, name="patient-link-visit"),
    path("p/visit/<str:token>/cancel/", patient_views.cancel, name="patient-link-cancel"),
    path("p/visit/<str:token>/another-time/", patient_views.another_time, name="patient-link-another-time"),
    path("p/after/<str:token>/fine/", patient_views.fine, name="patient-link-fine"),
    path("p/after/<str:token>/symptoms/", patient_views.symptoms, name="patient-link-symptoms"),
    path("p/offer/<str:token>/", patient_views.offer, name="patient-link-offer"),
    # Staff
    path("replies/", staff_views.replies_queue, name="queue"),
    path("replies/calls/<int:pk>/", staff_views.call_record_view, name="call-record"),
    path("replies/another-time/<int:pk>/handled/", staff_views.another_time_handled_view, name="another-time-handled"),
    path("waitlist/", staff_views.waitlist_page, name="waitlist"),
    path("waitlist/add/<int:plan_id>/", staff_views.waitlist_add_view, name="waitlist-add"),
    path("waitlist/<int:pk>/withdraw/", staff_views.waitlist_withdraw_view, name="waitlist-withdraw"),
    path("waitlist/freed/<int:pk>/book/<int:entry_id>/", staff_views.freed_book_view, name="freed-book"),
    path("waitlist/freed/<int:pk>/close/", staff_views.freed_close_view, name="freed-close"),
    path("follow-up/", staff_views.follow_up_page, name="follow-up"),
    path("follow-up/<int:pk>/close/", staff_views.follow_up_close_view, name="follow-up-close"),
]
