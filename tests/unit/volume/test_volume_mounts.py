"""Parsing of Binds, Mounts, Tmpfs and VolumesFrom into mount points, with Docker's texts."""

from __future__ import annotations

import pytest

from dockyard.errors import InvalidArgument
from dockyard.volume import filters, local
from dockyard.volume.mounts import (parse_bind, parse_mount, parse_volumes_from,
                                    tmpfs_options, valid_mode, validate_tmpfs_destination)


@pytest.mark.parametrize("raw, type_, name, source, dest, mode, rw, prop, copy", [
    ("data:/srv", "volume", "data", "", "/srv", "", True, "", True),
    ("data:/srv:ro", "volume", "data", "", "/srv", "ro", False, "", True),
    ("data:/srv:nocopy", "volume", "data", "", "/srv", "nocopy", True, "", False),
    ("data:/srv:ro,z", "volume", "data", "", "/srv", "ro,z", False, "", True),
    ("data:/srv/:Z", "volume", "data", "", "/srv", "Z", True, "", True),
    ("/host:/c", "bind", "", "/host", "/c", "", True, "rprivate", False),
    ("/host/:/c:ro", "bind", "", "/host", "/c", "ro", False, "rprivate", False),
    ("/host:/c:ro,rslave", "bind", "", "/host", "/c", "ro,rslave", False, "rslave", False),
    ("/host:/c:rshared", "bind", "", "/host", "/c", "rshared", True, "rshared", False),
    ("/host:/c:rw,cached", "bind", "", "/host", "/c", "rw,cached", True, "rprivate", False),
])
def test_bind_specs(raw, type_, name, source, dest, mode, rw, prop, copy) -> None:
    mp = parse_bind(raw)
    assert (mp.Type, mp.Name, mp.Source, mp.Destination, mp.Mode, mp.RW, mp.Propagation,
            mp.copy_data) == (type_, name, source, dest, mode, rw, prop, copy)
    assert mp.anonymous is False
    assert mp.create_source is (type_ == "bind")


@pytest.mark.parametrize("raw, message", [
    ("", "invalid volume specification: ''"),
    (":/x", "invalid volume specification: ':/x'"),
    ("a:b:c:d", "invalid volume specification: 'a:b:c:d'"),
    ("/foo:rw", "invalid volume specification: '/foo:rw'"),
    ("data:/srv:rx", "invalid mode: rx"),
    ("data:/srv:ro,rw", "invalid mode: ro,rw"),
    ("data:/srv:rshared", "invalid volume specification: 'data:/srv:rshared': invalid mount "
                          "config for type \"volume\": field BindOptions must not be specified"),
    ("/h:/c:nocopy", "invalid volume specification: '/h:/c:nocopy': invalid mount config for "
                     "type \"bind\": field VolumeOptions must not be specified"),
    ("/h:/", "invalid volume specification: '/h:/': invalid mount config for type \"bind\": "
             "invalid specification: destination can't be '/'"),
    ("data:rel", "invalid volume specification: 'data:rel': invalid mount config for type "
                 "\"volume\": invalid mount path: 'rel' mount path must be absolute"),
])
def test_bad_bind_specs(raw: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_bind(raw)
    assert str(exc.value) == message


def test_bind_driver_and_inspect_shape() -> None:
    mp = parse_bind("data:/srv", volume_driver="local")
    mp.Source = "/var/lib/x/_data"
    assert mp.inspect() == {"Type": "volume", "Name": "data", "Source": "/var/lib/x/_data",
                            "Destination": "/srv", "Driver": "local", "Mode": "", "RW": True,
                            "Propagation": ""}
    b = parse_bind("/h:/c:ro")
    assert b.inspect() == {"Type": "bind", "Source": "/h", "Destination": "/c", "Mode": "ro",
                           "RW": False, "Propagation": "rprivate"}
    assert type(b).from_json(b.to_json()) == b


def test_mount_specs(tmp_path) -> None:
    b = parse_mount({"Type": "bind", "Source": str(tmp_path), "Target": "/c", "ReadOnly": True,
                     "BindOptions": {"Propagation": "rslave"}})
    assert (b.Type, b.Source, b.RW, b.Propagation, b.Mode, b.create_source) == (
        "bind", str(tmp_path), False, "rslave", "", False)
    v = parse_mount({"Type": "volume", "Source": "data", "Target": "/d",
                     "VolumeOptions": {"NoCopy": True, "Labels": {"a": "b"},
                                       "DriverConfig": {"Name": "local",
                                                        "Options": {"type": "tmpfs"}}}})
    assert (v.Name, v.copy_data, v.volume_labels, v.volume_opts, v.anonymous) == (
        "data", False, {"a": "b"}, {"type": "tmpfs"}, False)
    anon = parse_mount({"Type": "volume", "Target": "/d"})
    assert anon.anonymous and anon.Name == "" and anon.copy_data
    t = parse_mount({"Type": "tmpfs", "Target": "/t",
                     "TmpfsOptions": {"SizeBytes": 1 << 20, "Mode": 0o1770}})
    assert (t.Type, t.tmpfs, t.Source) == ("tmpfs", "mode=1770,size=1m", "")


@pytest.mark.parametrize("cfg, message", [
    ({"Type": "bind", "Source": "/nonexistent-dy-src", "Target": "/c"},
     'invalid mount config for type "bind": bind source path does not exist: '
     '/nonexistent-dy-src'),
    ({"Type": "bind", "Source": "rel", "Target": "/c"},
     "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be "
     "absolute"),
    ({"Type": "bind", "Target": "/c"},
     'invalid mount config for type "bind": field Source must not be empty'),
    ({"Type": "bind", "Source": "/", "Target": "/c", "BindOptions": {"Propagation": "x"}},
     'invalid mount config for type "bind": invalid propagation mode: x'),
    ({"Type": "volume", "Source": "v"},
     'invalid mount config for type "volume": field Target must not be empty'),
    ({"Type": "volume", "Source": "v", "Target": "/"},
     "invalid mount config for type \"volume\": invalid specification: destination can't "
     "be '/'"),
    ({"Type": "volume", "Target": "/d", "ReadOnly": True},
     'invalid mount config for type "volume": must not set ReadOnly mode when using '
     'anonymous volumes'),
    ({"Type": "volume", "Source": "v", "Target": "/d", "BindOptions": {}},
     'invalid mount config for type "volume": field BindOptions must not be specified'),
    ({"Type": "tmpfs", "Source": "x", "Target": "/t"},
     'invalid mount config for type "tmpfs": field Source must not be specified'),
    ({"Type": "npipe", "Source": "x", "Target": "/t"},
     'invalid mount config for type "npipe": mount type unknown'),
])
def test_bad_mount_specs(cfg, message: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_mount(cfg)
    assert str(exc.value) == message


def test_tmpfs_options_and_destinations() -> None:
    assert tmpfs_options(None, False) == ""
    assert tmpfs_options({"SizeBytes": 3 << 30}, True) == "ro,size=3g"
    assert tmpfs_options({"SizeBytes": 1000}, False) == "size=1000"
    assert tmpfs_options({"SizeBytes": 2048, "Options": [["exec"]]}, False) == "size=2k,exec"
    validate_tmpfs_destination("/run")
    with pytest.raises(InvalidArgument, match="destination can't be '/'"):
        validate_tmpfs_destination("/")
    with pytest.raises(InvalidArgument, match="'run' mount path must be absolute"):
        validate_tmpfs_destination("run")


def test_volumes_from() -> None:
    assert parse_volumes_from("c1") == ("c1", "rw")
    assert parse_volumes_from("c1:ro") == ("c1", "ro")
    for bad in ("c1:rshared", "c1:nocopy", "c1:xx"):
        with pytest.raises(InvalidArgument, match="invalid mode: "):
            parse_volumes_from(bad)
    with pytest.raises(InvalidArgument, match="cannot be an empty string"):
        parse_volumes_from("")


def test_modes() -> None:
    assert valid_mode("") and valid_mode("ro,Z,rslave,nocopy,delegated")
    assert not valid_mode("ro,ro") and not valid_mode("z,Z") and not valid_mode("bogus")


def test_volume_names_and_options() -> None:
    local.validate_name("ab")
    local.validate_name("my_vol.1-x")
    with pytest.raises(InvalidArgument, match="too short"):
        local.validate_name("a")
    for bad in ("a$b", "-ab", "a/b", "a b", "_ab"):
        with pytest.raises(InvalidArgument, match="includes invalid characters"):
            local.validate_name(bad)
    local.validate_opts({"type": "tmpfs", "device": "tmpfs", "o": "size=1m"})
    with pytest.raises(InvalidArgument, match='invalid option: "foo"'):
        local.validate_opts({"foo": "1"})
    with pytest.raises(InvalidArgument, match='missing required option: "device"'):
        local.validate_opts({"type": "tmpfs"})
    with pytest.raises(InvalidArgument, match='missing required option: "'):
        local.validate_opts({"o": "bind"})


def test_filters() -> None:
    filters.validate({"name": ["x"]}, filters.LIST_FILTERS)
    with pytest.raises(InvalidArgument, match="invalid filter 'nope'"):
        filters.validate({"nope": ["x"]}, filters.LIST_FILTERS)
    assert filters.bool_filter({"dangling": ["true"]}, "dangling") is True
    assert filters.bool_filter({"dangling": ["0"]}, "dangling") is False
    with pytest.raises(InvalidArgument, match="invalid filter 'dangling=maybe'"):
        filters.bool_filter({"dangling": ["maybe"]}, "dangling")
    assert filters.match_name(["^ab"], "abc") and not filters.match_name(["^b"], "abc")
    assert filters.match_labels(["a", "b=2"], {"a": "1", "b": "2"})
    assert not filters.match_labels(["a=2"], {"a": "1"})
    assert not filters.match_labels(["a"], None)
