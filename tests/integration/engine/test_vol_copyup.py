"""Copy-up (a new volume starts with the image's content at its path, unless nocopy), the
image's VOLUME paths as anonymous volumes, ``-v /path``, and ``--rm`` / ``rm -v``."""

from __future__ import annotations

import os

from engine_helpers import Daemon, docker
from vol_helpers import Made, inspect, made, run, volimg, volume_names  # noqa: F401

ANON = {"com.docker.volume.anonymous": ""}


def test_image_volume_gets_populated_anonymous_volume(daemon: Daemon, made: Made,
                                                      volimg: str, name: str) -> None:
    c = made.container(name)
    r = run(daemon, "--name", c, volimg, "sh", "-c",
            "cat /data/f /data/sub/g; stat -c '%u:%g %a' /data /data/f; echo w > /data/w")
    assert r.stdout == "from-image\ndeep\n1234:1234 750\n1234:1234 644\n"
    [m] = inspect(daemon, c)["Mounts"]
    assert m["Type"] == "volume" and m["Destination"] == "/data" and m["Mode"] == ""
    assert len(m["Name"]) == 64 and m["RW"] is True and m["Driver"] == "local"
    vol = inspect(daemon, m["Name"], "volume")
    assert vol["Labels"] == ANON and m["Source"] == vol["Mountpoint"]
    assert sorted(os.listdir(vol["Mountpoint"])) == ["f", "sub", "w"]
    # a restart keeps what the container wrote (no second copy over it)
    docker(daemon, "start", "-a", c, check=True, timeout=60)
    assert open(os.path.join(vol["Mountpoint"], "w")).read() == "w\n"
    docker(daemon, "rm", c, check=True)
    assert m["Name"] in volume_names(daemon)       # rm without -v keeps it
    docker(daemon, "volume", "rm", m["Name"], check=True)


def test_rm_v_removes_anonymous_keeps_named(daemon: Daemon, made: Made, volimg: str,
                                            name: str) -> None:
    v = made.volume(f"{name}-named")
    c = made.container(name)
    run(daemon, "--name", c, "-v", "/scratch", "-v", f"{v}:/named", volimg, "true")
    m = {x["Destination"]: x for x in inspect(daemon, c)["Mounts"]}
    assert set(m) == {"/data", "/scratch", "/named"}
    anon = [m["/data"]["Name"], m["/scratch"]["Name"]]
    assert all(inspect(daemon, a, "volume")["Labels"] == ANON for a in anon)
    docker(daemon, "rm", "-v", c, check=True)
    names = volume_names(daemon)
    assert not set(anon) & set(names) and v in names


def test_run_rm_removes_anonymous_volumes(daemon: Daemon, made: Made, volimg: str,
                                          name: str) -> None:
    v = made.volume(f"{name}-named")
    before = set(volume_names(daemon))
    r = run(daemon, "--rm", "-v", "/scratch", "-v", f"{v}:/named", volimg, "sh", "-c",
            "echo x > /named/x; ls /data")
    assert r.stdout == "f\nsub\n"
    assert set(volume_names(daemon)) - before == {v}


def test_named_volume_is_populated_once(daemon: Daemon, made: Made, volimg: str,
                                        name: str) -> None:
    v = made.volume(f"{name}-v")
    r = run(daemon, "--rm", "-v", f"{v}:/data", volimg, "sh", "-c",
            "cat /data/f; rm /data/sub/g; echo mine > /data/f")
    assert r.stdout == "from-image\n"
    # not empty any more: the image's content is not copied over the volume's
    r = run(daemon, "--rm", "-v", f"{v}:/data", volimg, "sh", "-c", "cat /data/f; ls /data/sub")
    assert r.stdout == "mine\n"
    # the same volume on another image path keeps its own content too
    assert run(daemon, "--rm", "-v", f"{v}:/cfg", volimg, "cat", "/cfg/f").stdout == "mine\n"


def test_copy_up_on_a_path_that_is_not_an_image_volume(daemon: Daemon, made: Made,
                                                       volimg: str, name: str) -> None:
    v = made.volume(f"{name}-cfg")
    r = run(daemon, "--rm", "-v", f"{v}:/cfg", volimg, "cat", "/cfg/app.conf")
    assert r.stdout == "conf\n"
    mp = inspect(daemon, v, "volume")["Mountpoint"]
    st = os.stat(mp)
    assert (st.st_uid, oct(st.st_mode & 0o777)) == (1234, "0o750")
    # busybox's /bin into a fresh volume (every applet link kept)
    w = made.volume(f"{name}-bin")
    image_bin = run(daemon, "--rm", "busybox", "ls", "/bin").stdout.split()
    r = run(daemon, "--rm", "-v", f"{w}:/bin", "busybox", "ls", "/bin")
    assert r.stdout.split() == image_bin and "sh" in image_bin
    wmp = inspect(daemon, w, "volume")["Mountpoint"]
    assert sorted(os.listdir(wmp)) == sorted(image_bin)


def test_nocopy_leaves_the_volume_empty(daemon: Daemon, made: Made, volimg: str,
                                        name: str) -> None:
    v, w = made.volume(f"{name}-v"), made.volume(f"{name}-w")
    assert run(daemon, "--rm", "-v", f"{v}:/data:nocopy", volimg, "ls", "-A",
               "/data").stdout == ""
    assert run(daemon, "--rm", "--mount", f"type=volume,src={w},dst=/data,volume-nocopy",
               volimg, "ls", "-A", "/data").stdout == ""


def test_binds_and_volumes_from_are_not_populated(daemon: Daemon, made: Made, volimg: str,
                                                  name: str) -> None:
    host = made.tmpdir()
    assert run(daemon, "--rm", "-v", f"{host}:/data", volimg, "ls", "-A",
               "/data").stdout == ""
    assert os.listdir(host) == []
