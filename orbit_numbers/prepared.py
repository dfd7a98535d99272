"""Fixed-shape reads on the request path, compiled by the ORM once per connection.

Every API request looks up its key (with the organisation) and most read one more row by a key (the
wallet). Through the ORM each such lookup spends ~1.3 ms of CPU building the queryset, compiling it and
running ModelIterable, against ~0.2 ms for the statement itself (bench/RESULTS.md, *the request path*).
``PreparedLookup`` builds the queryset once per database connection with placeholder values, keeps the
compiled SQL, the ORM's converters and its related-object populators, and then runs only the statement
and ``Model.from_db``: the same SQL, the same instances (``select_related`` included), the same routing.

Only for lookups whose shape never changes: the SQL is fixed at first use, only the values vary.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators


class _Placeholder(str):
    """A value that marks where the caller's values go in the compiled parameters."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[int | None, ...]  # for each parameter: which caller value (None: a constant)
    compiler: Any
    converters: dict
    model: type[Model]
    model_slice: slice
    init_list: list[str]
    related_populators: list


class PreparedLookup:
    """``PreparedLookup(lambda prefix: ApiKey.objects.select_related(...).filter(prefix=prefix))``;
    ``.first(value)`` returns the first instance or None (the queryset must hold at most one row or
    order itself)."""

    def __init__(self, build: Callable[..., QuerySet], *, name: str):
        self.build = build
        self.name = name
        self._cache_attribute = f"_orbit_prepared_{name}"

    def _compiled(self, alias: str) -> _Compiled:
        connection = connections[alias]
        compiled = connection.__dict__.get(self._cache_attribute)  # per thread: each has its own wrapper
        if compiled is None:
            compiled = self._compile(alias)
            connection.__dict__[self._cache_attribute] = compiled
        return compiled

    def _compile(self, alias: str) -> _Compiled:
        arity = self.build.__code__.co_argcount
        placeholders = [_Placeholder(f"\x00orbit-placeholder-{index}\x00") for index in range(arity)]
        queryset = self.build(*placeholders)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()  # also fills compiler.select and klass_info
        slots = tuple(placeholders.index(param) if isinstance(param, str) and param in placeholders else None
                      for param in params)
        if sorted(slot for slot in slots if slot is not None) != list(range(arity)):
            raise ValueError(f"{self.name}: every value must appear once in the compiled parameters")
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        model_slice = slice(fields[0], fields[-1] + 1)
        return _Compiled(
            sql=sql, params=tuple(params), slots=slots, compiler=compiler,
            converters=compiler.get_converters([column for column, _, _ in select]),
            model=klass_info["model"], model_slice=model_slice,
            init_list=[column.target.attname for column, _, _ in select[model_slice]],
            related_populators=get_related_populators(klass_info, select, alias))

    def first(self, *values: Any) -> Model | None:
        alias = router.db_for_read(self._model())
        compiled = self._compiled(alias)
        params = [values[slot] if slot is not None else constant
                  for slot, constant in zip(compiled.slots, compiled.params)]
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
        instance = compiled.model.from_db(alias, compiled.init_list, row[compiled.model_slice])
        for populator in compiled.related_populators:
            populator.populate(row, instance)
        return instance

    def _model(self) -> type[Model]:
        model = self.__dict__.get("_model_class")
        if model is None:  # building a queryset is cheap; compiling it is what costs
            model = self.build(*[_Placeholder("") for _ in range(self.build.__code__.co_argcount)]).model
            self.__dict__["_model_class"] = model
        return model
