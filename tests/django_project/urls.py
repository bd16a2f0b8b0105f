"""The project's webhook URLs."""

from django.urls import path

from . import views

urlpatterns = [
    path("sms", views.sms),
    path("sms/marketing", views.marketing_sms),
    path("inbox", views.inbox),
    path("voice", views.voice),
    path("status", views.status),
    path("signed-only", views.signed_only),
    path("callbacks", views.Callbacks.as_view()),
    path("callbacks/async", views.AsyncCallbacks.as_view()),
    path("callbacks/<str:campaign>", views.Callbacks.as_view(alias="marketing")),
]
