from django.urls import path

from logistics import views

app_name = "logistics"
urlpatterns = [path("kuaidi100/push/", views.kuaidi100_push, name="kuaidi100_push")]
