"""The base of every API endpoint: a tenant-scoped, rate-limited, enveloped DRF viewset.

A viewset declares, per action (``list``, ``retrieve``, ``update``, ``destroy``, ``create`` or an
``@action`` name):

- ``required_scopes``: {action: scope}, checked by ``HasRequiredScope``; an action without one
  is refused (fail closed).
- ``rate_limits``: {action: RateLimit} per organisation, on top of the per-key default budget.
- ``queryset`` (the model's rows) and ``tenant_field``, the lookup that ties a row to an
  organisation: ``get_queryset`` always filters on the caller's organisation, so a viewset can
  not forget it. Only viewsets over shared data (the sellable inventory) set ``tenant_field = None``.
- ``serializer_class``: the ``OutputSerializer`` its responses render with (per action through
  ``output_serializers``); request bodies are validated with ``self.validated(Body)``.
- ``filterset_class`` for lists, ``pagination_class`` for cursor pages.
- ``replica_actions``: actions whose reads may be served by the read replica when one is configured
  (``orbit_numbers/db_router.py``): lists and the search by default; never the key check or rate limit.

Handlers answer with ``self.respond(instance)`` / ``self.respond_page(queryset)``: the envelope.
"""
from __future__ import annotations

from contextlib import ExitStack

from django.conf import settings
from django.http import Http404
from rest_framework import viewsets
from rest_framework.routers import SimpleRouter

from ..db_router import replica_reads
from ..errors import NotFound
from .filters import OrbitFilterBackend
from .idempotency import is_stored_replay
from .ratelimit import RateLimit, rate_limit_hit
from .responses import ok


class OrbitRouter(SimpleRouter):
    """Paths without a trailing slash (``/numbers/{id}``), with Django path converters for lookups
    (``lookup_value_converter = "number_id"``)."""

    def __init__(self):
        super().__init__(trailing_slash=False, use_regex_path=False)


class OrbitViewSet(viewsets.GenericViewSet):
    required_scopes: dict[str, str] = {}
    rate_limits: dict[str, RateLimit] = {}
    tenant_field: str | None = "organization"
    output_serializers: dict[str, type] = {}
    filter_backends = [OrbitFilterBackend]
    filterset_class = None
    pagination_class = None
    replica_actions: frozenset[str] = frozenset({"list"})

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The schema lists filter parameters only where a FilterSet declares them; a viewset without
        # one (and maybe without a model) must not send drf-spectacular looking for its model.
        if cls.filterset_class is None and cls.filter_backends == OrbitViewSet.filter_backends:
            cls.filter_backends = []

    # --- who is calling ---------------------------------------------------------------------

    @property
    def organization(self):
        return self.request.auth.organization

    @property
    def api_key(self):
        return self.request.auth

    def actor(self) -> dict:
        """Keyword arguments that identify who acts, for every service call."""
        return {"acting_key": self.request.auth}

    # --- rate limits and their headers; the read replica ------------------------------------

    def dispatch(self, request, *args, **kwargs):
        # Whatever ``initial`` enters here ends with the request, however it ends (threads are reused).
        with ExitStack() as self._request_scope:
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        default = RateLimit("default", settings.ORBIT["DEFAULT_RATE_LIMIT_PER_MINUTE"])
        state = rate_limit_hit(rule=default, subject=request.auth.pk)
        named = self.rate_limits.get(self.action)
        if named is not None and not is_stored_replay(request):
            state = rate_limit_hit(rule=named, subject=request.auth.organization_id)
        request._rate_limit_headers = state.headers()
        if self.action in self.replica_actions:  # after authentication: a new key is on the primary
            self._request_scope.enter_context(replica_reads())

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in getattr(request, "_rate_limit_headers", {}).items():
            if name not in response:
                response[name] = value
        return response

    # --- rows: always the caller's ---------------------------------------------------------

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.tenant_field is None:
            return queryset
        return queryset.filter(**{self.tenant_field: self.organization})

    def get_object(self):
        """The caller's object by its URL lookup (filters do not apply to one object); else 404."""
        lookup = self.lookup_url_kwarg or self.lookup_field
        try:
            return self.get_queryset().get(**{self.lookup_field: self.kwargs[lookup]})
        except (self.get_queryset().model.DoesNotExist, Http404):
            raise NotFound(self.not_found_message) from None

    not_found_message = "Not found."

    def filter_queryset(self, queryset):
        """The FilterSet's rows; with or without one, the query string is checked strictly."""
        for backend in self.filter_backends or [OrbitFilterBackend]:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    # --- input ------------------------------------------------------------------------------

    def validated(self, serializer_class, data=None, **kwargs) -> dict:
        """Validate a request body (a StrictSerializer); failures are 422 VALIDATION_ERROR."""
        serializer = serializer_class(data=self.request.data if data is None else data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def query_params(self, serializer_class) -> dict:
        """Validate the query string of a non-list action with a StrictSerializer (unknown keys 422)."""
        serializer = serializer_class(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    # --- output: the envelope ---------------------------------------------------------------

    def get_serializer_class(self):
        return self.output_serializers.get(self.action, self.serializer_class)

    def output(self, serializer_class=None):
        cls = serializer_class or self.get_serializer_class()
        return cls(context=self.get_serializer_context())

    def respond(self, instance, *, status: int = 200, serializer_class=None, many: bool = False, headers=None):
        """``{"data": <instance rendered by the output serializer>, "meta": …}``."""
        serializer = self.output(serializer_class)
        data = serializer.render_many(instance) if many else serializer.to_representation(instance)
        return ok(self.request, data, status=status, headers=headers)

    def respond_page(self, queryset, *, serializer_class=None):
        """Filter (FilterSet), paginate (cursor) and render a list: ``meta.pagination`` included."""
        paginator = self.paginator
        items = paginator.paginate_queryset(self.filter_queryset(queryset), self.request, view=self)
        data = self.output(serializer_class).render_many(items)
        return ok(self.request, data, pagination=paginator.page.pagination)
