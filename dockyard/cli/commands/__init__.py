"""One module per command family; each declares its :class:`~dockyard.cli.command.Command` objects.

::

    run.py        run, create (and attach_and_wait, shared with start -a and attach)
    lifecycle.py  start, stop, kill, restart, wait, rm, attach
    ps.py         ps / container ls
    logs.py       logs
    inspect.py    inspect, container inspect, image inspect
    images.py     images / image ls, rmi / image rm, tag, import, image bootstrap, image prune
    system.py     version, info / system info

``dockyard.cli.main`` maps command names to ``(module, attribute)`` and imports only the
module the invocation needs; nothing here imports another family's module at import time.
"""
