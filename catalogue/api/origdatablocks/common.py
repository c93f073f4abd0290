"""What the block and attachment views share: JSON parsing, the signed-in guard, block kinds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rest_framework.views import APIView

from catalogue.errors import PermissionDenied
from catalogue.models import Datablock, OrigDatablock
from catalogue.services.datablocks import (
    datablock_add,
    datablock_delete,
    datablock_update,
    datablocks_delete_all,
    origdatablock_add,
    origdatablock_delete,
    origdatablock_update,
    origdatablocks_delete_all,
)

from ..parsers import JSON_BODIES
from . import bodies


class JsonApi(APIView):
    """JSON bodies, also sent as application/merge-patch+json."""

    parser_classes = JSON_BODIES


def require_signed_in(request) -> None:
    """Upstream's endpoint guard: anonymous writes are refused before anything is looked up."""
    if not request.user.is_authenticated:
        raise PermissionDenied("Forbidden resource")


@dataclass(frozen=True)
class BlockKind:
    """The parts that differ between origdatablocks and datablocks."""

    model: type
    new: Callable  # body → the add service's arguments
    names: frozenset  # the body fields a PATCH may change
    add: Callable
    update: Callable
    delete: Callable
    delete_all: Callable


ORIG = BlockKind(
    model=OrigDatablock,
    new=bodies.origdatablock_new,
    names=bodies.ORIG,
    add=origdatablock_add,
    update=origdatablock_update,
    delete=origdatablock_delete,
    delete_all=origdatablocks_delete_all,
)
ARCHIVE = BlockKind(
    model=Datablock,
    new=bodies.datablock_new,
    names=bodies.ARCHIVE,
    add=datablock_add,
    update=datablock_update,
    delete=datablock_delete,
    delete_all=datablocks_delete_all,
)
