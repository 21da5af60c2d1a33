"""``docker import --change``: Dockerfile instructions applied to an image config."""

from __future__ import annotations

import pytest

from dockyard.build import DockerfileParseError
from dockyard.errors import InvalidArgument
from dockyard.image.importer import apply_changes
from dockyard.oci import image as oci

CHANGES = ['ENV A=1', 'CMD ["sh"]', 'CMD echo hi', 'WORKDIR /x', 'EXPOSE 80', 'LABEL a=b',
           'VOLUME /data', 'USER nobody', 'STOPSIGNAL SIGINT', 'ONBUILD RUN x']


def test_changes_produce_dockers_config() -> None:
    cfg = oci.empty_container_config()
    apply_changes(cfg, CHANGES)
    assert cfg["Env"] == ["A=1"]
    assert cfg["Cmd"] == ["/bin/sh", "-c", "echo hi"]    # the later CMD wins; shell form
    assert cfg["WorkingDir"] == "/x"
    assert cfg["ExposedPorts"] == {"80/tcp": {}}
    assert cfg["Labels"] == {"a": "b"}
    assert cfg["Volumes"] == {"/data": {}}
    assert cfg["User"] == "nobody"
    assert cfg["StopSignal"] == "SIGINT"
    assert cfg["OnBuild"] == ["RUN x"]
    assert cfg["Entrypoint"] is None


def test_exec_form_and_expansion() -> None:
    cfg = oci.empty_container_config()
    apply_changes(cfg, ['ENTRYPOINT ["/bin/sh", "-c"]', 'CMD ["echo", "$A"]', "ENV A=1",
                        'ENV B=${A}2 C="quoted value"', "WORKDIR /w/$B", "EXPOSE 53/udp 8080",
                        'LABEL "x y"=z', 'VOLUME ["/v1", "/v2"]', ""])
    assert cfg["Entrypoint"] == ["/bin/sh", "-c"]
    assert cfg["Cmd"] == ["echo", "$A"]           # exec form is never expanded
    assert cfg["Env"] == ["A=1", "B=12", "C=quoted value"]
    assert cfg["WorkingDir"] == "/w/12"
    assert cfg["ExposedPorts"] == {"53/udp": {}, "8080/tcp": {}}
    assert cfg["Labels"] == {"x y": "z"}
    assert cfg["Volumes"] == {"/v1": {}, "/v2": {}}


def test_env_replaces_an_existing_variable() -> None:
    cfg = oci.empty_container_config()
    apply_changes(cfg, ["ENV A=1 B=2", "ENV A=3"])
    assert cfg["Env"] == ["B=2", "A=3"]


@pytest.mark.parametrize("change,message", [
    ("RUN x", "RUN is not a valid change command"),
    ("FROM busybox", "FROM is not a valid change command"),
    ("COPY a b", "COPY is not a valid change command"),
])
def test_rejects_non_change_instructions(change: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        apply_changes(oci.empty_container_config(), [change])


def test_bad_change_names_its_source() -> None:
    with pytest.raises(DockerfileParseError, match="^--change:1: ENV names can not be blank$"):
        apply_changes(oci.empty_container_config(), ["ENV =x"])
