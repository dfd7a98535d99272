"""Django-level error views: the JSON envelope under /api/, Django's pages elsewhere (admin).

handler400/403/404/500 (orbit_numbers/urls.py) and CSRF_FAILURE_VIEW (settings)."""
from django.views import csrf, defaults

from ..errors import BadRequest, Forbidden, Internal, NotFound
from .middleware import is_api_path
from .responses import error_json_response


def api_aware_400(request, exception=None):
    if is_api_path(request.path):
        return error_json_response(BadRequest(), getattr(request, "request_id", ""))
    return defaults.bad_request(request, exception)


def api_aware_403(request, exception=None):
    if is_api_path(request.path):
        return error_json_response(Forbidden("Forbidden."), getattr(request, "request_id", ""))
    return defaults.permission_denied(request, exception)


def api_aware_404(request, exception=None):
    if is_api_path(request.path):
        return error_json_response(NotFound(), getattr(request, "request_id", ""))
    return defaults.page_not_found(request, exception)


def api_aware_500(request):
    if is_api_path(request.path):
        return error_json_response(Internal(), getattr(request, "request_id", ""))
    return defaults.server_error(request)


def api_aware_csrf_failure(request, reason=""):
    """API views authenticate with keys and are CSRF-exempt; should a view under /api/ ever
    enforce CSRF, its refusal is still the envelope."""
    if is_api_path(request.path):
        return error_json_response(Forbidden("CSRF verification failed."), getattr(request, "request_id", ""))
    return csrf.csrf_failure(request, reason=reason)
