"""The Resource base class, the ``@resource`` declaration hook and ``_meta``.

A resource is an attrs class of fields (see :mod:`twiliorm.fields`) plus a
few class options given to :func:`resource`: its path, its list key and the
operations the API has for it. ``_meta`` is computed once from those, as
Django's ``Model._meta``, and everything else (queries, writes, the
converter, the sandbox, the conformance test) reads the facts from it.

Instances know where they came from (a :class:`Binding`: the client and the
path parameters they were reached with) and what they looked like when they
were loaded, so ``save()`` sends only the fields that changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

import attrs

from . import convert, exceptions
from .aio.resource import AsyncResourceMixin
from .client import get_client
from .exceptions import FieldError, NotSupportedError, ValidationError
from .fields import FieldSpec, QueryParam, spec_of
from .paths import PathTemplate, check_path_value

if TYPE_CHECKING:
    from .client import Client
    from .manager import Manager

__all__ = ["Binding", "Meta", "Resource", "related", "resource", "resources"]

R = TypeVar("R", bound="Resource")
OPERATIONS = ("list", "fetch", "create", "update", "delete")
_REGISTRY: dict[str, type[Resource]] = {}


@attrs.frozen(slots=True)
class Binding:
    """Where an instance lives: the client it came through and its path parameters."""

    client: Client | None = None
    path: Mapping[str, str] = attrs.field(factory=dict)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@attrs.define(eq=False)
class Meta:
    """Facts about one resource class, computed once from its declaration."""

    model: type[Resource]
    list_paths: tuple[PathTemplate, ...]
    instance_path: PathTemplate | None
    key: str
    operations: frozenset[str]
    fields: dict[str, FieldSpec]
    query_params: dict[str, QueryParam]
    choices: dict[str, tuple[str, ...]]
    defaults: dict[str, str]
    path_attrs: dict[str, str]
    create_paths: tuple[PathTemplate, ...]
    manager_class: type[Manager[Any]] | None = None
    #: the order the API lists records in (``"-date_created"``: newest first); () unknown
    ordering: tuple[str, ...] = ()
    _conversions: convert.Conversions | None = None
    _structure: Callable[..., Any] | None = None  # conversions().structure, once made
    # Derived once from the fields above (every query and write reads them).
    pk: str | None = attrs.field(init=False)
    payload_fields: tuple[FieldSpec, ...] = attrs.field(init=False)
    payload_names: tuple[str, ...] = attrs.field(init=False)
    path_names: tuple[str, ...] = attrs.field(init=False)
    _aliases: dict[str, str] = attrs.field(init=False)
    _writable: dict[str, tuple[FieldSpec, ...]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        path = self.instance_path
        # The attribute that names an instance (``sid``; ``call_sid`` for a participant).
        self.pk = path.names[-1] if path is not None and path.endswith("}.json") else None
        self.payload_fields = tuple(s for s in self.fields.values() if s.key is not None)
        self.payload_names = tuple(s.name for s in self.payload_fields)
        seen: dict[str, None] = {}
        for template in (*self.list_paths, *self.create_paths, path):
            for name in template.names if template else ():
                seen[name] = None
        self.path_names = tuple(seen)
        self._aliases = _aliases(self.path_names)
        self._writable = {
            op: tuple(s for s in self.fields.values() if op in s.writable)
            for op in ("create", "update")
        }

    @property
    def name(self) -> str:
        return self.model.__name__

    @property
    def list_path(self) -> PathTemplate | None:
        """The list path template (the most general one when there are variants)."""
        if not self.list_paths:
            return None
        return min(self.list_paths, key=lambda t: len(t.names))

    @property
    def parent_param(self) -> str | None:
        """The placeholder naming this resource's parent in its list (or create) path, or in
        the instance path of a singleton (``Balance.json``: the account)."""
        templates = self.list_paths or self.create_paths
        if not templates and self.instance_path is not None and self.pk is None:
            templates = (self.instance_path,)
        if not templates:
            return None
        names = [n for n in templates[0].names if n not in self.choices]
        return names[-1] if names else None

    def aliases(self) -> dict[str, str]:
        """Names a path parameter can be given by: ``conference`` for ``conference_sid``."""
        return self._aliases

    def writable(self, operation: str) -> tuple[FieldSpec, ...]:
        """The attributes an operation ("create" or "update") may send."""
        return self._writable.get(operation, ())

    def conversions(self) -> convert.Conversions:
        """The generated payload <-> instance code of this class (made on first use, when
        its attributes become properties over their slots: see :mod:`twiliorm.convert`)."""
        if self._conversions is None:
            self._conversions = convert.prepare(self)
        return self._conversions

    def structure(self) -> Callable[..., Any]:
        """The generated payload -> instance function (it converts no value)."""
        if self._structure is None:
            self._structure = self.conversions().structure
        return self._structure

    def copy(self) -> Callable[[Any, Any], None]:
        """The generated instance -> instance copy of every slot."""
        return self.conversions().copy

    def require(self, operation: str) -> None:
        if operation not in self.operations:
            have = ", ".join(op for op in OPERATIONS if op in self.operations) or "none"
            raise NotSupportedError(
                f"{self.name} has no {operation} operation in the API (it has: {have})"
            )

    def check_path(self, name: str, value: Any) -> str:
        """Validate one path parameter value, by the field of that name when there is one."""
        if name in self.choices:
            allowed = self.choices[name]
            if value not in allowed:
                raise ValidationError(f"{self.name} {name} must be one of {allowed}, got {value!r}")
            return str(value)
        spec = self.fields.get(self.path_attrs.get(name, name))
        pattern = getattr(spec.kind, "pattern", None) if spec else None
        return check_path_value(name, value, pattern)

    def list_template(
        self, values: Mapping[str, Any], *, for_create: bool = False, partial: bool = False
    ) -> PathTemplate:
        """The most specific list path whose placeholders ``values`` all give.

        With none, a FieldError names what is missing; or, with ``partial`` (to show
        a query before a client is known), the most specific path all the same.
        """
        templates = self.create_paths if for_create else self.list_paths
        if not templates:
            self.require("create" if for_create else "list")
        usable = [t for t in templates if not t.missing(values)]
        if usable or partial:
            return max(usable or templates, key=lambda t: len(t.names))
        raise self.missing_path_error(min(templates, key=lambda t: len(t.missing(values))), values)

    def checked(self, template: PathTemplate, values: Mapping[str, Any]) -> dict[str, str]:
        """``template``'s values from ``values``, each checked for its shape (FieldError
        naming what is missing, ValidationError for a value of the wrong shape)."""
        if template.missing(values):
            raise self.missing_path_error(template, values)
        return {name: self.check_path(name, values[name]) for name in template.names}

    def missing_path_error(self, template: PathTemplate, values: Mapping[str, Any]) -> FieldError:
        missing = [n for n in template.missing(values) if n != "account_sid"]
        if not missing:
            return FieldError(f"{self.name} needs an account: connect a client or use(account=...)")
        name = missing[0]
        short = name[: -len("_sid")] if name.endswith("_sid") else name
        hint = f"filter({short}=...)"
        parent = _parent_hint(self, name)
        if parent:
            hint += f" or {parent}"
        return FieldError(f"{self.name} queries need the {short.replace('_', ' ')}: use {hint}")


def _aliases(path_names: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in path_names:
        out[name] = name
        for suffix in ("_sid", "_code"):
            if name.endswith(suffix) and name != "sid":
                out.setdefault(name[: -len(suffix)], name)
    return out


def _parent_hint(meta: Meta, name: str) -> str:
    parent = related.parents.get(meta.name)
    if parent and name == meta.parent_param:
        return f"{_snake(parent[0])}.{parent[1]}"
    return ""


class Resource(AsyncResourceMixin):
    """Base class of every declared resource; see :func:`resource` (its async methods,
    ``asave()``, ``adelete()``..., come from :mod:`twiliorm.aio.resource`).

    It has no ``__html__`` (nor the tutorial's other raw forms): template engines call
    that when they render an object, and rendering a model must send nothing. The
    raw forms as the API serves them are :func:`twiliorm.api.raw`.
    """

    _ctx: Binding | None = attrs.field(default=None, init=False)
    #: the payload the instance was read from (None: never loaded): the tuple of its values
    #: in the order of the fields when it had exactly their keys, else the dict; see convert.py
    _orig: dict[str, Any] | tuple[Any, ...] | None = attrs.field(default=None, init=False)

    _meta: ClassVar[Meta]
    objects: ClassVar[_ManagerDescriptor]
    DoesNotExist: ClassVar[type[exceptions.DoesNotExist]] = exceptions.DoesNotExist
    MultipleObjectsReturned: ClassVar[type[exceptions.MultipleObjectsReturned]] = (
        exceptions.MultipleObjectsReturned
    )
    NotFound: ClassVar[type[exceptions.DoesNotExist]] = exceptions.DoesNotExist

    if TYPE_CHECKING:

        def __init__(self, **values: Any) -> None: ...

    # --- identity -----------------------------------------------------------

    @property
    def pk(self) -> str | None:
        """The value naming this instance in its path (usually ``sid``)."""
        name = self._meta.pk
        return getattr(self, name) if name else None

    def __repr__(self) -> str:
        label = self.pk
        for name in ("sid", "phone_number", "friendly_name"):
            if label is None and name in self._meta.fields:
                label = getattr(self, name)
        return f"<{type(self).__name__}: {label if label is not None else 'unsaved'}>"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Resource)
        if self.pk is None:
            return self is other
        return bool(self.pk == other.pk)

    def __hash__(self) -> int:
        if self.pk is None:
            raise TypeError("an unsaved resource has no identity to hash")
        return hash((type(self).__name__, self.pk))

    # --- payloads -----------------------------------------------------------

    @classmethod
    def from_api(cls: type[R], payload: Mapping[str, Any], *, binding: Binding | None = None) -> R:
        """An instance from a JSON payload of this resource, every value read (a value that
        cannot be read is a DecodeError naming its field); unknown keys are kept."""
        return convert.structure(cls, payload, binding)

    def to_api(self) -> dict[str, Any]:
        """The JSON payload of this instance; ``R.from_api(p).to_api() == p``."""
        return convert.unstructure(self)

    def __getstate__(self) -> dict[str, Any]:
        # Values as they are: one never read pickles as it came and stays unread.
        return convert.state_of(self)

    def __setstate__(self, state: dict[str, Any]) -> None:
        convert.restore(self, state)

    # --- state --------------------------------------------------------------

    @property
    def is_saved(self) -> bool:
        """True once the instance was read from, or written to, the API."""
        return self._orig is not None

    def changed_fields(self) -> list[str]:
        """Attributes set since the instance was loaded (write-only params when set)."""
        return convert.changed_fields(self)

    def path_values(self) -> dict[str, Any]:
        """Values for this instance's path placeholders: attributes, then its binding.

        A path field the API lets an update change (a number's ``account_sid``,
        which moves it) counts as it was read: the update goes to where the
        instance is. Identity fields count as they are now, as a pk does in Django.
        """
        meta = self._meta
        ctx = self._ctx
        values: dict[str, Any] = dict(ctx.path) if ctx else {}
        for name in meta.path_names:
            attr = meta.path_attrs.get(name, name)
            spec = meta.fields.get(attr)
            if spec is None:
                continue
            own = getattr(self, attr)
            if "update" in spec.writable:
                loaded = convert.loaded_value(self, attr)
                own = own if loaded is None else loaded
            if own is not None:
                values[name] = own
        for name, default in meta.defaults.items():
            values.setdefault(name, default)
        return values

    # --- writes -------------------------------------------------------------

    def save(
        self: R, *, update_fields: Iterable[str] | None = None, using: Client | str | None = None
    ) -> R:
        """Create this instance (POST to the list) or send its changed fields (POST to it).

        ``update_fields`` sends only those; as in Django, other unsaved edits are
        kept, and still marked changed, after the answer is read back. ``using``
        (a Client, or the alias of one) saves through that client and binds the
        instance to it, as Django's ``save(using=...)`` binds it to that database.
        """
        from . import persistence

        if using is not None:
            self._bind(using)
        return persistence.save(self, update_fields)

    def full_clean(
        self,
        exclude: Iterable[str] | None = None,
        validate_unique: bool = True,
        validate_constraints: bool = True,
    ) -> None:
        """Check this instance as its next ``save()`` would, sending nothing (Django's).

        Runs :meth:`clean_fields` then :meth:`clean`; raises one ValidationError
        whose ``message_dict`` maps each field name to its messages. The API
        has no uniqueness or constraints to check here, so ``validate_unique``
        and ``validate_constraints`` are accepted (for Django forms) and change nothing.
        """
        from . import persistence

        persistence.full_clean(self, exclude)

    def clean_fields(self, exclude: Iterable[str] | None = None) -> None:
        """Check and clean each value the next ``save()`` would send, and the fields a
        create requires; cleaned values replace the ones given (E.164 numbers...)."""
        from . import persistence

        persistence.clean_fields(self, exclude)

    def clean(self) -> None:
        """Checks across fields, for subclasses (Django's ``Model.clean``): raise a
        ValidationError, with a dict to name the fields. Called by ``full_clean()``."""

    def update(self: R, **values: Any) -> R:
        """Set ``values`` and save exactly those fields (one POST).

        Every value is checked first, and the instance is left as it was if
        the check or the request fails.
        """
        before = self._assign(values)
        try:
            return self.save(update_fields=values)
        except BaseException:
            self._assign_unchecked(before)
            raise

    def _assign(self, values: dict[str, Any]) -> dict[str, Any]:
        """Check every value of an ``update()`` (cleaned in ``values``), then set them;
        the values they replaced, to put back if the write fails."""
        meta = self._meta
        for name, value in values.items():
            spec = meta.fields.get(name)
            if spec is None:
                raise _unknown_field(meta, name)
            if self._orig is not None and "update" not in spec.writable:
                raise FieldError(f"{meta.name}.{name} cannot be changed by an update")
            values[name] = spec.clean(value, meta.name)
        before = {name: getattr(self, name) for name in values}
        self._assign_unchecked(values)
        return before

    def _assign_unchecked(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            setattr(self, name, value)

    def delete(self) -> None:
        """DELETE this instance."""
        from . import persistence

        persistence.delete(self)

    def refresh(self: R) -> R:
        """Read this instance again from the API, in place."""
        from . import persistence

        return persistence.refresh(self)

    refresh_from_api = refresh

    def refresh_from_db(
        self, using: Client | str | None = None, fields: Iterable[str] | None = None
    ) -> None:
        """Read this instance again (one GET), Django's way: every field, or only ``fields``
        (the others keep their unsaved values); ``using`` reads through that client."""
        from . import persistence

        if using is not None:
            self._bind(using)
        if fields is None:
            persistence.refresh(self)
            return
        names = self._payload_names(fields)
        meta = self._meta
        client = persistence.client_of(self)
        path = persistence.fetch_request(self, client.account_sid).path
        data = persistence.fetch_payload(meta.model, client, path)
        self._take(self.from_api(data, binding=self._ctx), names)

    def _payload_names(self, fields: Iterable[str]) -> list[str]:
        """``fields`` checked to name fields of the payload (refresh_from_db's)."""
        names = list(fields)
        for name in names:
            if name not in self._meta.payload_names:
                raise _unknown_field(self._meta, name)
        return names

    def _take(self, fresh: Resource, names: list[str]) -> None:
        """Take ``names``' values from ``fresh``, as loaded (no longer changed)."""
        for name in names:
            setattr(self, name, getattr(fresh, name))
        self._orig = convert.loaded_from(self, fresh, names)

    def _bind(self, using: Client | str) -> None:
        """Send this instance's next requests through ``using`` (a Client, or its alias)."""
        client = get_client(using) if isinstance(using, str) else using
        self._ctx = Binding(client, self._ctx.path if self._ctx else {})


def _unknown_field(meta: Meta, name: str) -> FieldError:
    known = ", ".join(sorted(meta.fields))
    return FieldError(f"{meta.name} has no field {name!r}; its fields are: {known}")


class _ManagerDescriptor:
    """``Resource.objects``: a Manager per class, created on first access."""

    def __init__(self) -> None:
        self._managers: dict[type[Resource], Manager[Any]] = {}

    @overload
    def __get__(self, obj: None, owner: type[R]) -> Manager[R]: ...
    @overload
    def __get__(self, obj: Resource, owner: type[R]) -> Manager[R]: ...
    def __get__(self, obj: Resource | None, owner: type[R]) -> Manager[R]:
        if obj is not None:
            raise AttributeError("Manager isn't accessible via instances; use the class")
        manager = self._managers.get(owner)
        if manager is None:
            from .manager import Manager

            manager = (owner._meta.manager_class or Manager)(owner)
            self._managers[owner] = manager
        return manager


if not TYPE_CHECKING:
    # Made an attrs class at run time only: seen by a type checker's attrs plugin,
    # the base would get an __init__ without arguments, hiding the keyword-argument
    # __init__ declared above from every resource (``Message(to=..., body=...)``).
    Resource = attrs.define(slots=True, kw_only=True, eq=False, repr=False)(Resource)

Resource.objects = _ManagerDescriptor()


class related(Generic[R]):
    """A parent's view of its children: ``conference.participants`` is a Manager.

    Declared on the parent as a class variable naming the child class, with
    any path values the view fixes (``type="Local"``)::

        participants: ClassVar[related[Participant]] = related("Participant")
    """

    #: child class name -> (parent class name, attribute), for error hints.
    parents: ClassVar[dict[str, tuple[str, str]]] = {}

    def __init__(self, model: str, **path: str) -> None:
        self.model_name = model
        self.path = path

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        related.parents.setdefault(self.model_name, (owner.__name__, name))

    @overload
    def __get__(self, obj: None, owner: type[Resource]) -> related[R]: ...
    @overload
    def __get__(self, obj: Resource, owner: type[Resource]) -> Manager[R]: ...
    def __get__(self, obj: Resource | None, owner: type[Resource]) -> related[R] | Manager[R]:
        if obj is None:
            return self
        child: type[R] = resources_by_name()[self.model_name]  # type: ignore[assignment]
        return child.objects.below(obj, **self.path)


# --- the declaration hook ---------------------------------------------------


def resource(
    *,
    path: str | Iterable[str] | None,
    operations: str,
    key: str | None = None,
    instance_path: str | None = None,
    create_path: str | Iterable[str] | None = None,
    choices: Mapping[str, Iterable[str]] | None = None,
    defaults: Mapping[str, str] | None = None,
    path_attrs: Mapping[str, str] | None = None,
    manager: type[Manager[Any]] | None = None,
    ordering: str | Iterable[str] | None = None,
) -> Callable[[type[R]], type[R]]:
    """Declare a resource class: make it an attrs class and compute its ``_meta``.

    ``path`` is the list path (several for variants, such as
    ``IncomingPhoneNumbers/{type}.json``); the instance path is derived as
    ``<list>/{sid}.json`` unless given. ``operations`` lists which of list,
    fetch, create, update and delete the API has. ``ordering`` is the order the API
    lists records in (``"date_created"``: oldest first); most lists are newest first,
    the default for a resource with a ``date_created``.
    """
    ops = frozenset(operations.split())
    unknown = ops - set(OPERATIONS)
    if unknown:
        raise ValueError(f"unknown operations {sorted(unknown)}; use {OPERATIONS}")

    def declare(cls: type[R]) -> type[R]:
        query_params = _take_query_params(cls)
        # Pickling is Resource's own (convert.state_of), not a state made per class.
        new = attrs.define(
            cls, slots=True, kw_only=True, eq=False, repr=False, getstate_setstate=False
        )
        lists = _templates(path)
        meta = Meta(
            model=new,
            list_paths=lists,
            instance_path=_instance_template(lists, instance_path, ops),
            key=key or (_snake(_last_literal(lists[0])) if lists else ""),
            operations=ops,
            fields=_field_specs(new),
            query_params=query_params,
            choices={k: tuple(v) for k, v in (choices or {}).items()},
            defaults=dict(defaults or {}),
            path_attrs=dict(path_attrs or {}),
            create_paths=_templates(create_path) if create_path else lists,
            manager_class=manager,
            ordering=_ordering(ordering, new),
        )
        new._meta = meta
        _add_exceptions(new)
        if "uri" not in meta.fields:
            new.uri = property(_computed_uri)  # type: ignore[attr-defined]
        _REGISTRY[new.__name__] = new
        return new

    return declare


def _ordering(given: str | Iterable[str] | None, cls: type) -> tuple[str, ...]:
    if given is not None:
        return (given,) if isinstance(given, str) else tuple(given)
    names = {a.name for a in attrs.fields(cls)}
    return ("-date_created",) if "date_created" in names else ()


def _templates(paths: str | Iterable[str] | None) -> tuple[PathTemplate, ...]:
    if paths is None:
        return ()
    items = [paths] if isinstance(paths, str) else list(paths)
    return tuple(PathTemplate(p) for p in items)


def _last_literal(template: PathTemplate) -> str:
    segments = [s for s in template.without_extension().split("/") if s and "{" not in s]
    return segments[-1]


def _instance_template(
    lists: tuple[PathTemplate, ...], given: str | None, ops: frozenset[str]
) -> PathTemplate | None:
    if given:
        return PathTemplate(given)
    if not ops & {"fetch", "update", "delete"} or not lists:
        return None
    base = min(lists, key=lambda t: len(t.names))
    return PathTemplate(base.without_extension() + "/{sid}.json")


def _take_query_params(cls: type) -> dict[str, QueryParam]:
    found = {}
    for name, value in list(vars(cls).items()):
        if isinstance(value, QueryParam):
            found[name] = value.named(name)
            delattr(cls, name)
    for base in cls.__mro__[1:]:
        meta = vars(base).get("_meta")
        if isinstance(meta, Meta):
            found = {**meta.query_params, **found}
    return found


def _field_specs(cls: type) -> dict[str, FieldSpec]:
    out = {}
    for attribute in attrs.fields(cls):
        spec = spec_of(attribute)
        if spec is not None:
            out[attribute.name] = spec.named(attribute.name)
    return out


def _add_exceptions(cls: type[Resource]) -> None:
    name = cls.__name__
    module = cls.__module__
    does_not_exist = type("DoesNotExist", (exceptions.DoesNotExist,), {"__module__": module})
    does_not_exist.__qualname__ = f"{name}.DoesNotExist"
    multiple = type(
        "MultipleObjectsReturned", (exceptions.MultipleObjectsReturned,), {"__module__": module}
    )
    multiple.__qualname__ = f"{name}.MultipleObjectsReturned"
    not_found = type("NotFound", (does_not_exist, exceptions.NotFoundError), {"__module__": module})
    not_found.__qualname__ = f"{name}.NotFound"
    cls.DoesNotExist = does_not_exist
    cls.MultipleObjectsReturned = multiple
    cls.NotFound = not_found


def _computed_uri(self: Resource) -> str | None:
    from .persistence import instance_path

    try:
        return instance_path(self)
    except (FieldError, ValidationError, NotSupportedError):
        return None


def resources() -> list[type[Resource]]:
    """Every declared resource class, in declaration order (``twiliorm`` imports
    :mod:`twiliorm.models` when it starts, so all of the API's are declared)."""
    return list(_REGISTRY.values())


def resources_by_name() -> Mapping[str, type[Resource]]:
    return _REGISTRY
