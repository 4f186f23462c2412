"""Keep ultralytics off the network: no hub sync, no pip auto-install, no font download.

ultralytics reads its switches from the environment when it is first imported, checks the
network unless ``YOLO_OFFLINE`` is set, and downloads ``Arial.ttf`` for its plots unless the
file is already in its config folder. ``prepare`` sets all of that up before the import:
the font is Debian's DejaVu Sans (``fonts-dejavu-core``, installed by ``scripts/install``)
copied under the names ultralytics asks for.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

FONT_SOURCES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)
FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")
"""The files ultralytics looks for in its config folder before it tries to download them."""


class OfflineSetupError(RuntimeError):
    """ultralytics could not be set up to run without the network."""


def config_dir() -> Path:
    """ultralytics' config folder: ``YOLO_CONFIG_DIR`` or ``~/.config/nutrivision/ultralytics``."""
    default = Path.home() / ".config" / "nutrivision" / "ultralytics"
    return Path(os.environ.get("YOLO_CONFIG_DIR", default))


def place_fonts(folder: Path) -> None:
    """Copy DejaVu Sans into ``folder`` under the names ultralytics' plots ask for."""
    missing = [folder / name for name in FONT_NAMES if not (folder / name).is_file()]
    if not missing:
        return
    source = next((path for path in FONT_SOURCES if path.is_file()), None)
    if source is None:
        raise OfflineSetupError("DejaVu Sans not found: apt-get install fonts-dejavu-core")
    folder.mkdir(parents=True, exist_ok=True)
    for target in missing:
        shutil.copyfile(source, target)


SUB_DIR = "Ultralytics"
"""ultralytics keeps its settings and fonts in this sub-folder of ``YOLO_CONFIG_DIR``."""


def prepare() -> Path:
    """Set the offline switches and fonts; call before importing ultralytics.

    Returns the folder where ultralytics looks for its settings and fonts."""
    folder = config_dir()
    os.environ["YOLO_CONFIG_DIR"] = str(folder)
    os.environ["YOLO_OFFLINE"] = "true"
    os.environ["YOLO_AUTOINSTALL"] = "false"
    place_fonts(folder / SUB_DIR)
    return folder / SUB_DIR


def ultralytics() -> Any:
    """The ultralytics package, imported offline, with hub sync switched off."""
    prepare()
    import ultralytics as package
    from ultralytics import settings

    if settings.get("sync") is not False:
        settings.update({"sync": False})  # type: ignore[no-untyped-call]
    return package
