"""Storage drivers: the path-based interface and its implementations.

``driver`` holds the interface and its write contract; ``local`` keeps data in
a folder, ``memory`` in a dict.
"""

from __future__ import annotations

from .driver import FileInfo, FileWriter, InvalidPath, PathNotFound, StorageDriver, validate_path
from .local import LocalDriver
from .memory import MemoryDriver

__all__ = [
    "FileInfo",
    "FileWriter",
    "InvalidPath",
    "LocalDriver",
    "MemoryDriver",
    "PathNotFound",
    "StorageDriver",
    "validate_path",
]
