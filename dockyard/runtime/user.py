"""``--user`` as Docker resolves it: names looked up in the *container's* /etc/passwd and /etc/group."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.errors import InvalidArgument, SystemError as DySystemError
from dockyard.runtime.fsjoin import secure_join

__all__ = ["ExecUser", "resolve_user"]


@dataclass(frozen=True)
class ExecUser:
    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    home: str
    name: str | None


def _read(root: str, path: str) -> list[list[str]]:
    try:
        with open(secure_join(root, path), encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n").split(":") for line in f
                    if line.strip() and not line.startswith("#")]
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return []


def resolve_user(root: str, spec: str, group_add: list[str] | None = None) -> ExecUser:
    """``user``, ``uid``, ``user:group``, ``uid:gid`` (and mixes) against the rootfs files."""
    user, _, group = (spec or "").partition(":")
    passwd = _read(root, "/etc/passwd")
    groups = _read(root, "/etc/group")
    uid, gid, home, name = 0, 0, "/", None
    if user == "":
        user = "0"
    entry = None
    for fields in passwd:
        if len(fields) < 7:
            continue
        if (user.isdigit() and fields[2] == user) or fields[0] == user:
            entry = fields
            break
    if entry is not None:
        name, uid, gid, home = entry[0], int(entry[2]), int(entry[3]), entry[5] or "/"
    elif user.isdigit():
        uid, gid, home = int(user), 0, "/"  # a uid unknown to passwd runs with gid 0
    else:
        raise DySystemError(f"unable to find user {user}: no matching entries in passwd file")
    if uid == 0 and entry is None:
        home = "/root"
    if group:
        found = None
        for fields in groups:
            if len(fields) >= 3 and ((group.isdigit() and fields[2] == group) or fields[0] == group):
                found = int(fields[2])
                break
        if found is None:
            if not group.isdigit():
                raise DySystemError(
                    f"unable to find group {group}: no matching entries in group file")
            found = int(group)
        gid = found
    extra: list[int] = []
    if name is not None and not group:
        for fields in groups:
            if len(fields) >= 4 and name in fields[3].split(","):
                g = int(fields[2])
                if g != gid and g not in extra:
                    extra.append(g)
    for g in group_add or []:
        if g.isdigit():
            extra.append(int(g))
            continue
        for fields in groups:
            if len(fields) >= 3 and fields[0] == g:
                extra.append(int(fields[2]))
                break
        else:
            raise InvalidArgument(f"Unable to find group {g}")
    return ExecUser(uid, gid, tuple(extra), home, name)
