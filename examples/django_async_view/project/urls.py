from clinic import views
from django.urls import path

urlpatterns = [
    path("reminders/", views.send_reminder),
    path("messages/", views.recent_messages),
]
