"""``dockyard image bootstrap busybox``: a busybox image made from the host's static busybox.

There is no internet here, so the first image has to come from the machine itself. The
result mirrors Docker Hub's busybox: every applet linked to /bin/busybox, an /etc/passwd
with root and nobody, Docker's default PATH and ``CMD ["sh"]``. Every file gets the
busybox binary's mtime, so bootstrapping twice gives the same image ID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from dockyard.errors import NotFound
from dockyard.image.service import ImageService
from dockyard.oci import image as oci

__all__ = ["bootstrap_busybox", "BUSYBOX_CANDIDATES"]

BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")

_PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:100:65534:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
_GROUP = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
"""


def _find_busybox() -> str:
    for path in BUSYBOX_CANDIDATES:
        if os.path.isfile(path):
            try:
                out = subprocess.run([path, "--list-full"], capture_output=True, timeout=10)
            except OSError:
                continue
            if out.returncode == 0 and b"bin/sh" in out.stdout:
                return path
    raise NotFound("no static busybox on this host (install busybox-static)")


def build_rootfs(dest: str) -> float:
    """Populate ``dest`` with a busybox root filesystem; returns the timestamp used."""
    src = _find_busybox()
    mtime = os.stat(src).st_mtime
    applets = subprocess.run([src, "--list-full"], capture_output=True, text=True,
                             check=True).stdout.split()
    dirs = {"bin": 0o755, "dev": 0o755, "etc": 0o755, "home": 0o755, "root": 0o700,
            "tmp": 0o1777, "usr": 0o755, "usr/bin": 0o755, "usr/sbin": 0o755, "sbin": 0o755,
            "var": 0o755, "var/spool": 0o755, "var/spool/mail": 0o755, "var/www": 0o755,
            "proc": 0o555, "sys": 0o555, "etc/network": 0o755}
    for d, mode in dirs.items():
        p = os.path.join(dest, d)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)
    shutil.copy2(src, os.path.join(dest, "bin/busybox"))
    os.chmod(os.path.join(dest, "bin/busybox"), 0o755)
    for applet in applets:
        rel = applet.lstrip("/")
        if rel == "bin/busybox":
            continue
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.link(os.path.join(dest, "bin/busybox"), target)
    files = {"etc/passwd": (_PASSWD, 0o644), "etc/group": (_GROUP, 0o644),
             "etc/shadow": ("root:*::0:::::\nnobody:*::0:::::\n", 0o640),
             "etc/nsswitch.conf": ("hosts: files dns\nnetworks: files\n", 0o644),
             "etc/hostname": ("", 0o644), "etc/hosts": ("", 0o644),
             "etc/resolv.conf": ("", 0o644)}
    for rel, (content, mode) in files.items():
        p = os.path.join(dest, rel)
        with open(p, "w") as f:
            f.write(content)
        os.chmod(p, mode)
    for root, dnames, fnames in os.walk(dest, topdown=False):
        for n in fnames + dnames:
            os.utime(os.path.join(root, n), (mtime, mtime), follow_symlinks=False)
    os.utime(dest, (mtime, mtime))
    return mtime


def bootstrap_busybox(images: ImageService, tmp_root: str, tag: str = "busybox:latest") -> str:
    """Build and store the busybox image; returns its image ID."""
    from dockyard.image.diff import write_tree

    work = tempfile.mkdtemp(prefix="bootstrap-", dir=tmp_root)
    try:
        rootfs = os.path.join(work, "rootfs")
        os.mkdir(rootfs)
        mtime = build_rootfs(rootfs)
        writer = images.content.writer()
        try:
            layer = write_tree(rootfs, writer, compression="gzip")
            blob = writer.commit(layer.digest)
        except BaseException:
            writer.abort()
            raise
        size = _tree_size(rootfs)

        def move(dest: str) -> tuple[str, int]:
            os.rmdir(dest)
            os.rename(rootfs, dest)
            return layer.diff_id, size

        images.snapshots.commit_layer(None, move, diff_id=layer.diff_id, blob=blob,
                                      media_type=oci.MEDIA_DOCKER_LAYER_GZIP)
        history = [{"created": oci.rfc3339(mtime),
                    "created_by": "/bin/sh -c #(nop) ADD file:busybox-static in / "},
                   {"created": oci.rfc3339(mtime), "created_by": '/bin/sh -c #(nop)  CMD ["sh"]',
                    "empty_layer": True}]
        config = oci.new_config(env=[f"PATH={oci.DEFAULT_PATH}"], cmd=["sh"],
                                diff_ids=[layer.diff_id], created=mtime, history=history)
        return images.create(config, tags=[tag])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _tree_size(root: str) -> int:
    """Bytes of file content, each hardlinked inode counted once (as ``docker images``)."""
    seen: set[int] = set()
    size = 0
    for r, _dirs, files in os.walk(root):
        for f in files:
            st = os.lstat(os.path.join(r, f))
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                size += st.st_size
    return size
