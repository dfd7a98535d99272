from django.urls import path

from . import api

urlpatterns = [
    path("files/upload", api.FileUploadView.as_view(), name="file-upload"),
    path("files/<str:file_id>/content", api.file_content, name="file-content"),
]
