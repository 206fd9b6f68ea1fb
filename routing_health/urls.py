from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboards import auth_views as dashboard_auth

urlpatterns = [
    # Before the admin's own: its login page would be a second, unthrottled way in.
    path("admin/login/", dashboard_auth.admin_login, name="admin-login-redirect"),
    path("admin/", admin.site.urls),
    path("accounts/login/", dashboard_auth.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("", include("dashboards.urls")),
]
