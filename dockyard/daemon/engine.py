"""The one place the engine's parts are wired together.

What each part needs::

    ContentStore(data_root/content)
    Metadata(data_root/dockyard.db)
    Snapshotter(data_root, Metadata)
    ImageService(ContentStore, Metadata, Snapshotter)
    Events()
    ContainerManager(Metadata, ImageService, Snapshotter, EnginePaths, Events)
    ExecManager(ContainerManager)
    NetworkService(Metadata, ContainerManager, EnginePaths)   hooks: create/start/stop/remove
    VolumeService(VolumeStore(data_root/volumes, Metadata), ContainerManager, Events)

Opening order matters for crash repair: snapshots first (drop half-unpacked layers),
then images (drop images whose layers are gone), then containers (re-adopt).
"""

from __future__ import annotations

import os
import time
from typing import Any

from dockyard.daemon.config import DaemonConfig
from dockyard.events import Events
from dockyard.image.service import ImageService
from dockyard.network.service import NetworkService
from dockyard.runtime import rootfs
from dockyard.runtime.exec import ExecManager
from dockyard.runtime.manager import ContainerManager, EnginePaths
from dockyard.store.content import ContentStore
from dockyard.store.metadata import Metadata
from dockyard.store.snapshots import Snapshotter
from dockyard.volume.service import VolumeService
from dockyard.volume.store import VolumeStore

__all__ = ["Engine"]


class Engine:
    def __init__(self, config: DaemonConfig) -> None:
        self.config = config
        os.makedirs(config.data_root, mode=0o711, exist_ok=True)
        os.makedirs(config.exec_root, mode=0o711, exist_ok=True)
        self.started = time.time()
        self.content = ContentStore(os.path.join(config.data_root, "content"))
        self.meta = Metadata(os.path.join(config.data_root, "dockyard.db"))
        self.snapshots = Snapshotter(config.data_root, self.meta)
        self.images = ImageService(self.content, self.meta, self.snapshots)
        self.events = Events()
        self.paths = EnginePaths(config.data_root, config.exec_root)
        self.containers = ContainerManager(meta=self.meta, images=self.images,
                                           snapshots=self.snapshots, paths=self.paths,
                                           events=self.events)
        self.execs = ExecManager(self.containers)
        self.containers.execs = self.execs
        self.containers.remove_hooks.append(lambda c: self.execs.forget_container(c.id))
        self.volumes = VolumeService(VolumeStore(config.data_root, self.meta), self.containers,
                                     self.events)
        self.containers.create_hooks.append(self.volumes.plan)
        self.containers.mount_providers.append(self.volumes.mounts)
        self.containers.stop_hooks.append(self.volumes.release)
        self.containers.remove_hooks.append(self.volumes.forget)
        self.networks = NetworkService(meta=self.meta, containers=self.containers,
                                       paths=self.paths)
        self.networks.register(self.containers)
        self.extensions: dict[str, Any] = {}
        tmp = os.path.join(config.data_root, "tmp")
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp, exist_ok=True)
        self.tmp = tmp

    async def start(self) -> None:
        self.snapshots.repair()
        self.images.repair()
        self.volumes.repair()
        await self.networks.load()
        await self.containers.load()
        # what a killed daemon left of cp/commit: temporary rootfs mounts, commit pauses
        rootfs.repair(self.paths.exec_root, self.paths.conmon.runc_root)
        await self.networks.reconcile()
        self.volumes.reconcile()

    async def close(self) -> None:
        await self.containers.close()
        await self.networks.close()
        self.meta.close()
