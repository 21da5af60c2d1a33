"""The bridge driver: netavark (Podman's network tool) sets interfaces, NAT, ports and DNS up.

One call sets one container up on one network::

    netavark --config <exec_root>/netavark setup <netns path>     (options JSON on stdin)

Input (netavark 1.4's ``NetworkOptions``)::

    {"container_id": "<64 hex>", "container_name": "web",
     "port_mappings": [{"host_ip": "", "container_port": 80, "host_port": 8080,
                        "range": 1, "protocol": "tcp"}],
     "networks": {"<net id>": {"interface_name": "eth0", "static_ips": ["172.18.0.2"],
                         "static_mac": "02:42:ac:12:00:02", "aliases": ["web", "db"]}},
     "network_info": {"<net id>": {"name": "<net id>", "id": "<net id>", "driver": "bridge",
                             "network_interface": "dyab12cd-3f2a1b",
                             "subnets": [{"subnet": "172.18.0.0/16", "gateway": "172.18.0.1"}],
                             "ipv6_enabled": false, "internal": false, "dns_enabled": true,
                             "options": {"mtu": "1400"}, "ipam_options": {"driver": "host-local"}}},
     "dns_servers": ["8.8.8.8"]}

Output: ``{"<net id>": {"dns_server_ips": ["172.18.0.1"], "dns_search_domains": [...],
"interfaces": {"eth0": {"mac_address": "..", "subnets": [{"ipnet": "172.18.0.2/16",
"gateway": "172.18.0.1"}]}}}}``. ``teardown`` takes the same input. netavark creates the
bridge on first use and deletes it (with the network's iptables chains) when its last
interface goes; with ``dns_enabled`` it starts aardvark-dns (config under ``--config``)
and stops it when no DNS network is left.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
from typing import Any

from dockyard.errors import SystemError as DySystemError

__all__ = ["Netavark", "NETAVARK", "AARDVARK"]

log = logging.getLogger("dockyard.network")

NETAVARK = "/usr/lib/podman/netavark"
AARDVARK = "/usr/lib/podman/aardvark-dns"


class Netavark:
    def __init__(self, config_dir: str, binary: str | None = None,
                 aardvark: str | None = None) -> None:
        self.config_dir = config_dir
        self.binary = binary or (NETAVARK if os.path.exists(NETAVARK)
                                 else shutil.which("netavark") or NETAVARK)
        self.aardvark = aardvark or (AARDVARK if os.path.exists(AARDVARK)
                                     else shutil.which("aardvark-dns") or AARDVARK)

    def available(self) -> bool:
        return os.access(self.binary, os.X_OK)

    async def _run(self, verb: str, netns: str, options: dict[str, Any]) -> str:
        os.makedirs(self.config_dir, mode=0o700, exist_ok=True)
        args = [self.binary, "--config", self.config_dir, "--aardvark-binary", self.aardvark,
                verb, netns]
        log.debug("netavark %s %s: %s", verb, netns, json.dumps(options))
        try:
            proc = await asyncio.create_subprocess_exec(
                *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise DySystemError(f"cannot run netavark: {exc}") from exc
        out, err = await asyncio.wait_for(proc.communicate(json.dumps(options).encode()), 60)
        if proc.returncode != 0:
            # netavark reports {"error": "..."} on stdout or stderr, depending on where
            # it failed
            text = (err.decode(errors="replace").strip() + "\n"
                    + out.decode(errors="replace").strip()).strip()
            for part in text.splitlines():
                try:
                    text = json.loads(part)["error"]
                    break
                except (ValueError, KeyError, TypeError):
                    continue
            raise DySystemError(f"netavark {verb} failed: {text or f'exit {proc.returncode}'}")
        return out.decode(errors="replace")

    async def setup(self, netns: str, options: dict[str, Any]) -> dict[str, Any]:
        out = await self._run("setup", netns, options)
        try:
            return json.loads(out)
        except ValueError as exc:
            raise DySystemError(f"netavark setup gave no JSON: {out[:200]!r}") from exc

    async def teardown(self, netns: str, options: dict[str, Any], attempts: int = 3) -> None:
        """Tear down; retried, because other engines' iptables calls on this host can
        make one fail, and a failed teardown leaves rules behind."""
        for i in range(attempts):
            try:
                await self._run("teardown", netns, options)
                return
            except DySystemError as exc:
                if i == attempts - 1:
                    raise
                log.info("%s; retrying", exc)
                await asyncio.sleep(0.3 * (i + 1))
