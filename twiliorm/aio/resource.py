"""An instance's async methods, Django's names: ``asave()``, ``adelete()``,
``arefresh_from_db()``, and ``aupdate()`` (``update()`` awaited).

:class:`AsyncResourceMixin` is a base of :class:`~twiliorm.Resource`. Each
method is its sync namesake with the request awaited
(:mod:`twiliorm.aio.persistence`): the same checks before anything is sent,
the same request, the same reading of the answer, through the async twin of
the client the instance is bound to (:func:`~twiliorm.aio.async_client_for`).
``using=`` takes an AsyncClient, a Client or an alias.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .client import AsyncClient

if TYPE_CHECKING:
    from ..client import Client
    from ..resource import Resource

__all__ = ["AsyncResourceMixin"]

M = TypeVar("M", bound="AsyncResourceMixin")


class AsyncResourceMixin:
    """The async half of :class:`~twiliorm.Resource` (see the module docstring)."""

    __slots__ = ()  # Resource is a slotted attrs class: its instances keep no __dict__

    async def asave(
        self: M,
        *,
        update_fields: Iterable[str] | None = None,
        using: AsyncClient | Client | str | None = None,
    ) -> M:
        """As ``save()``: create (POST to the list) or send the changed fields."""
        from . import persistence  # imports twiliorm.persistence, which imports Resource

        obj = _resource(self)
        if using is not None:
            obj._bind(using.sync if isinstance(using, AsyncClient) else using)
        await persistence.asave(obj, update_fields)
        return self

    async def aupdate(self: M, **values: Any) -> M:
        """As ``update()``: set ``values`` (each checked first) and save exactly those."""
        obj = _resource(self)
        before = obj._assign(values)
        try:
            await obj.asave(update_fields=values)
        except BaseException:
            obj._assign_unchecked(before)
            raise
        return self

    async def adelete(self) -> None:
        """As ``delete()``: DELETE this instance."""
        from . import persistence

        await persistence.adelete(_resource(self))

    async def arefresh_from_db(
        self,
        using: AsyncClient | Client | str | None = None,
        fields: Iterable[str] | None = None,
    ) -> None:
        """As ``refresh_from_db()``: read this instance again (one GET), every field or
        only ``fields`` (the others keep their unsaved values)."""
        from . import persistence

        obj = _resource(self)
        if using is not None:
            obj._bind(using.sync if isinstance(using, AsyncClient) else using)
        if fields is None:
            await persistence.arefresh(obj)
            return
        names = obj._payload_names(fields)
        data = await persistence.afetch_instance(obj)
        obj._take(obj.from_api(data, binding=obj._ctx), names)


def _resource(mixin: AsyncResourceMixin) -> Resource:
    """The Resource this mixin is a base of (a mixin's ``self``, typed as what it is)."""
    return cast("Resource", mixin)
