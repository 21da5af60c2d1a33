"""Registry verbs: ``pull``, ``push``, ``login``, ``logout``.

Credentials live in docker's ``config.json`` (``$DOCKER_CONFIG`` or ``~/.docker``), read and
written through :mod:`dockyard.registry.client.auth` — the daemon never sees the file, only
the ``X-Registry-Auth`` header built from it for the image's registry. The daemon's
progress stream is shown by :mod:`dockyard.cli.progress` (bars on a terminal, docker's
plain lines otherwise); the last line of a ``pull`` is the full reference, as docker's.
"""

from __future__ import annotations

import sys

from dockyard.cli.command import EXACT1, Command, Context
from dockyard.cli.errors import StatusError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["PULL", "PUSH", "LOGIN", "LOGOUT", "registry_host", "full_name", "reference_error"]

DEFAULT_DOMAIN = "docker.io"
HUB_SERVER = "https://index.docker.io/v1/"


def registry_host(name: str) -> str:
    """The registry a reference names: its first component if it looks like a host, else Docker Hub."""
    first, sep, _ = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return DEFAULT_DOMAIN


def full_name(name: str) -> str:
    """docker's normalized name: ``busybox`` → ``docker.io/library/busybox``."""
    if registry_host(name) != DEFAULT_DOMAIN:
        return name
    path = name[len("docker.io/"):] if name.startswith("docker.io/") else name
    if "/" not in path.split(":")[0].split("@")[0]:
        path = f"library/{path}"
    return f"docker.io/{path}"


def _has_tag(name: str) -> bool:
    return "@" in name or ":" in name.rsplit("/", 1)[-1]


def _auth(host: str) -> str:
    from dockyard.registry.client.auth import registry_auth_header

    return registry_auth_header(host)


def reference_error(name: str) -> str | None:
    """docker's ParseNormalizedNamed text for a bad ``name`` (None when it is fine)."""
    from dockyard import reference
    from dockyard.errors import DockyardError

    try:
        reference.parse(name)
    except DockyardError as exc:
        text = str(exc)
        if "must be lowercase" in text:  # docker names the repository, as normalized
            bare = name.split("@", 1)[0]
            last = bare.rsplit("/", 1)[-1]
            if ":" in last:
                bare = bare[: len(bare) - len(last) + last.index(":")]
            if registry_host(bare) == DEFAULT_DOMAIN:
                path = bare[len("docker.io/"):] if bare.startswith("docker.io/") else bare
                path = path if "/" in path else f"library/{path}"
            else:
                path = bare.split("/", 1)[1]
            text = f"invalid reference format: repository name ({path}) must be lowercase"
        return text
    return None


def check_reference(name: str) -> None:
    """docker's client-side check: a bad name fails before the daemon is asked."""
    text = reference_error(name)
    if text is not None:
        raise StatusError(1, text)


def _show(ctx: Context, messages: Any, quiet: bool) -> None:
    from dockyard.cli.progress import JSONMessageError, display

    try:
        if quiet:
            for msg in messages:  # drain, but still fail on an error message
                if isinstance(msg, dict) and (msg.get("error") or msg.get("errorDetail")):
                    detail = msg.get("errorDetail") or {}
                    raise JSONMessageError(str(detail.get("message") or msg.get("error")))
        else:
            display(ctx.out, messages)
    except JSONMessageError as exc:
        raise StatusError(1, exc.message) from exc


# --- pull / push ----------------------------------------------------------------------------------

def _tagged_name(ctx: Context, opts: Options) -> str:
    """The NAME argument of pull/push checked, with docker's default tag when it has none."""
    name = opts.args[0]
    check_reference(name)
    if opts.all_tags and _has_tag(name):
        raise StatusError(1, "tag can't be used with --all-tags/-a")
    if not opts.all_tags and not _has_tag(name):
        if not opts.quiet:
            ctx.print("Using default tag: latest")
        name += ":latest"
    return name


def _pull_flags(fs: FlagSet) -> None:
    fs.add("all-tags", "a", bool, help="Download all tagged images in the repository")
    fs.add("disable-content-trust", None, bool, default=True, help="Skip image verification")
    fs.add("platform", None, str, help="Set platform if server is multi-platform capable")
    fs.add("quiet", "q", bool, help="Suppress verbose output")


def _pull(ctx: Context, opts: Options) -> int:
    name = _tagged_name(ctx, opts)
    if "@" in name:
        image, tag = name, None
    elif opts.all_tags:
        image, tag = name, None
    else:
        image, _, tag = name.rpartition(":")
    messages = ctx.client.image_pull(image, tag, platform=opts.platform or None, auth=_auth(registry_host(name)))
    _show(ctx, messages, bool(opts.quiet))
    ctx.print(full_name(name))
    return 0


PULL = Command("pull", "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry", run=_pull,
               flags=_pull_flags, args=EXACT1, family="image")


def _push_flags(fs: FlagSet) -> None:
    fs.add("all-tags", "a", bool, help="Push all tags of an image to the repository")
    fs.add("disable-content-trust", None, bool, default=True, help="Skip image signing")
    fs.add("platform", None, str, help="Push a platform-specific manifest as a single-platform image to the registry.")
    fs.add("quiet", "q", bool, help="Suppress verbose output")


def _push(ctx: Context, opts: Options) -> int:
    name = _tagged_name(ctx, opts)
    if opts.all_tags:
        repo, tag = name, None
    else:
        repo, _, tag = name.rpartition(":")
    messages = ctx.client.image_push(repo, tag, auth=_auth(registry_host(name)))
    _show(ctx, messages, bool(opts.quiet))
    if opts.quiet:
        ctx.print(name)
    return 0


PUSH = Command("push", "[OPTIONS] NAME[:TAG]", "Upload an image to a registry", run=_push, flags=_push_flags,
               args=EXACT1, family="image")


# --- login / logout -------------------------------------------------------------------------------

def _login_flags(fs: FlagSet) -> None:
    fs.add("password", "p", str, help="Password or Personal Access Token (PAT)")
    fs.add("password-stdin", None, bool, help="Take the Password or Personal Access Token (PAT) from stdin")
    fs.add("username", "u", str, help="Username")


def _prompt(ctx: Context, label: str, *, secret: bool) -> str:
    if sys.stdin is None or not sys.stdin.isatty():
        raise StatusError(1, "Error: Cannot perform an interactive login from a non TTY device")
    if secret:
        import getpass

        return getpass.getpass(f"{label}: ")
    ctx.out.write(f"{label}: ")
    ctx.out.flush()
    return sys.stdin.readline().strip()


def _login(ctx: Context, opts: Options) -> int:
    from dockyard.registry.client.auth import Credentials, config_path, normalize_host, store_credentials

    server = opts.args[0] if opts.args else HUB_SERVER
    user, password = opts.username.strip(), opts.password
    if opts.password:
        ctx.warn("WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
        if opts.password_stdin:
            raise StatusError(1, "--password and --password-stdin are mutually exclusive")
    if opts.password_stdin:
        if not user:
            raise StatusError(1, "Must provide --username with --password-stdin")
        password = sys.stdin.read().rstrip("\r\n") if sys.stdin is not None else ""
    if not user and not password:  # docker first tries what config.json already holds
        from dockyard.registry.client.auth import credentials_for

        stored = credentials_for(server)
        if not stored.anonymous and stored.username:
            ctx.warn(f"Authenticating with existing credentials... [Username: {stored.username}]\n\n"
                     " Info -> To login with a different account, run 'docker logout' followed by 'docker login'\n\n")
            reply = ctx.client.auth({"username": stored.username, "password": stored.password,
                                     "serveraddress": server})
            ctx.print(str(reply.get("Status") or "Login Succeeded"))
            return 0
    if not user:
        user = _prompt(ctx, "Username", secret=False)
        if not user:
            raise StatusError(1, "Error: Non-null Username Required")
    if not password:
        password = _prompt(ctx, "Password", secret=True)
        if not password:
            raise StatusError(1, "Error: Password Required")
    reply = ctx.client.auth({"username": user, "password": password, "serveraddress": server})
    host = normalize_host(server)
    token = str(reply.get("IdentityToken") or "")
    creds = Credentials(identity_token=token) if token else Credentials(username=user, password=password)
    store_credentials(host, creds)
    ctx.warn(f"\nWARNING! Your credentials are stored unencrypted in '{config_path()}'.\n"
             "Configure a credential helper to remove this warning. See\n"
             "https://docs.docker.com/go/credential-store/\n")
    ctx.print(str(reply.get("Status") or "Login Succeeded"))
    return 0


LOGIN = Command("login", "[OPTIONS] [SERVER]", "Authenticate to a registry.\nDefaults to Docker Hub if no server is "
                "specified.", run=_login, flags=_login_flags, args=("max", 1))


def _logout(ctx: Context, opts: Options) -> int:
    from dockyard.registry.client.auth import normalize_host, remove_credentials

    server = opts.args[0] if opts.args else HUB_SERVER
    host = normalize_host(server)
    shown = HUB_SERVER if host == DEFAULT_DOMAIN else host
    ctx.print(f"Removing login credentials for {shown}")  # docker says so whether or not there were any
    remove_credentials(host)
    return 0


LOGOUT = Command("logout", "[SERVER]", "Log out from a registry.\nIf no server is specified, the default is defined "
                 "by the daemon.", run=_logout, args=("max", 1))
