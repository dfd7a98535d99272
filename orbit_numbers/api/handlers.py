"""Django-level 404/500 handlers: JSON envelope under /api/, Django's pages elsewhere (admin)."""
from django.views import defaults

from ..errors import Internal, NotFound
from .middleware import is_api_path
from .responses import error_json_response


def api_aware_404(request, exception=None):
    if is_api_path(request.path):
        return error_json_response(NotFound(), getattr(request, "request_id", ""))
    return defaults.page_not_found(request, exception)


def api_aware_500(request):
    if is_api_path(request.path):
        return error_json_response(Internal(), getattr(request, "request_id", ""))
    return defaults.server_error(request)
