"""Volumes: the local driver, the store of named volumes, and a container's mounts.

Modules (one concern each)::

    driver.py   the Driver protocol (validate, mount, unmount) and its vocabulary
    local.py    the ``local`` driver: a directory, or ``type``/``device``/``o`` via mount(8)
    store.py    VolumeStore: records in SQLite, data under <data_root>/volumes (layout tree)
    mounts.py   Binds / Mounts / Tmpfs / VolumesFrom → typed MountPoint, Docker's error texts
    filters.py  ``volume ls`` and ``volume prune`` filters
    copyup.py   populate an empty volume from the image path at first start
    service.py  VolumeService: the API's operations and the container manager's hooks
"""
