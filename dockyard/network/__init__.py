"""Networking: Docker's bridge, host and none networks, user-defined bridges, macvlan
(netavark) and ipvlan (iproute2) networks.

Modules, from the bottom up::

    model.py     Docker's wire shapes (network record, endpoint settings)
    store.py     networks and endpoints (address leases) in SQLite
    ipam.py      pools, overlap checks, host-wide subnet claims, address allocation
    catalog.py   the daemon's networks: builtins, create (validate + allocate), filters
    ports.py     PortBindings/PublishAllPorts → reserved host ports
    netns.py     bind-mounted network namespaces under <exec_root>/netns/
    netavark.py  the bridge and macvlan drivers (interfaces, NAT, port forwarding, aardvark-dns)
    parent.py    macvlan/ipvlan options, their parent link, Docker's dm-<id> dummy parent
    ipvlan.py    the ipvlan driver (iproute2: netavark 1.4 has none)
    firewall.py  this daemon's isolation / --internal / intra-bridge rules (bridges only)
    etc.py       resolv.conf of running containers on connect/disconnect
    service.py   the container manager's hooks, endpoints, connect/disconnect

On-disk and host state of one daemon (instance = sha256(exec root)[:6])::

    <data_root>/dockyard.db          networks table; kv scope network.endpoint
    <exec_root>/netns/<container id> a container's network namespace (bind mount)
    <exec_root>/netavark/            netavark --config (aardvark-dns config and pid)
    /run/dockyard-ipam/<instance>.json   this daemon's subnet claims
    bridges dy<instance>-0 (default), dy<instance>-<net id[:6]>; chains DY-<instance>[-ISO]
"""

__all__: list[str] = []   # import the modules themselves (the daemon needs service.py)
