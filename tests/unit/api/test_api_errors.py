"""The kind ↔ status table: one place, agreeing with the kinds, reversible."""

from __future__ import annotations

import json

import pytest

import dockyard.errors as kinds
from dockyard.api.errors import (
    STATUS_BY_KIND,
    error_body,
    error_from_response,
    kind_for_status,
    status_for,
)


def test_table_agrees_with_every_kind() -> None:
    for name in kinds.__all__:
        kind = getattr(kinds, name)
        assert status_for(kind("x")) == kind.status, name
    assert set(STATUS_BY_KIND) == {getattr(kinds, n) for n in kinds.__all__}


def test_unlisted_subclass_takes_ancestor_status_and_others_are_500() -> None:
    class NoSuchThing(kinds.NotFound):
        pass

    assert status_for(NoSuchThing("x")) == 404
    assert status_for(ValueError("x")) == 500


def test_error_body_is_dockers() -> None:
    assert error_body(kinds.NotFound("No such container: abc")) == b'{"message":"No such container: abc"}\n'
    assert json.loads(error_body(RuntimeError())) == {"message": "RuntimeError"}


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, kinds.InvalidArgument), (401, kinds.Unauthorized), (403, kinds.Forbidden), (404, kinds.NotFound),
     (304, kinds.NotModified), (409, kinds.Conflict), (500, kinds.DockyardError), (501, kinds.NotImplementedKind),
     (503, kinds.Unavailable), (418, kinds.InvalidArgument), (502, kinds.DockyardError)],
)
def test_kind_for_status(status: int, kind: type) -> None:
    assert kind_for_status(status) is kind


def test_error_from_response() -> None:
    err = error_from_response(409, b'{"message":"name in use"}\n')
    assert type(err) is kinds.Conflict and str(err) == "name in use"
    assert str(error_from_response(500, b"plain text\n")) == "plain text"
    assert str(error_from_response(503, b"")) == "HTTP status 503"
