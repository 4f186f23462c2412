"""Photo analysis timings: the shipped model (onnxruntime) per whole photo, and per crop.

Loads the registered ``food-vision`` model, then times ``analyse`` on real test photos of the
shared dataset (synthetic photos when it is absent), wall and CPU time of this process,
because the machine is shared. Also times the classifier alone on one crop. About 20 s.
Run: ``PYTHONPATH=. .venv/bin/python -m bench.vision_photo [--photos 30]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from PIL import Image

from bench.fixtures import SHARED_FIXTURES
from ml_ops.vision import analyser, dataset

T = TypeVar("T")
PHOTOS = SHARED_FIXTURES / "food-images" / "roboflow-food-ingredients-detection"


def photo_bytes(count: int) -> list[bytes]:
    """JPEG bytes of ``count`` test photos (or synthetic 640x640 noise photos)."""
    if (PHOTOS / "data.yaml").is_file():
        return [p.image.read_bytes() for p in list(dataset.photos(PHOTOS, "test"))[:count]]
    rng = np.random.default_rng(0)
    out = []
    for _ in range(count):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (640, 640, 3), dtype=np.uint8)).save(buffer, "JPEG")
        out.append(buffer.getvalue())
    return out


def time_ms(call: Callable[[T], object], inputs: Sequence[T]) -> tuple[list[float], list[float]]:
    """Wall and process-CPU milliseconds of ``call(x)`` for each input."""
    wall: list[float] = []
    cpu: list[float] = []
    for item in inputs:
        w, c = time.perf_counter(), time.process_time()
        call(item)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def main() -> None:
    """Print p50/p90 per photo and per crop."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=30)
    args = parser.parse_args()
    started = time.perf_counter()
    served = analyser.load(analyser.models_folder())
    print(f"model {served.model} loaded in {(time.perf_counter() - started) * 1000:.0f} ms")
    photos = photo_bytes(args.photos)
    served.analyse(photos[0], "image/jpeg")  # warm-up

    def analyse(data: bytes) -> None:
        served.analyse(data, "image/jpeg", plate_diameter_cm=26)

    wall, cpu = time_ms(analyse, photos)
    print(f"per photo ({len(photos)}): wall p50 {statistics.median(wall):.0f} ms,", end=" ")
    print(f"p90 {np.percentile(wall, 90):.0f} ms; cpu p50 {statistics.median(cpu):.0f} ms")
    size = served.classifier.input_size
    crops = [np.full((1, size, size, 3), i, np.uint8) for i in range(50)]
    wall, cpu = time_ms(served.classifier.probabilities, crops)
    print(f"per crop: wall p50 {statistics.median(wall):.1f} ms,", end=" ")
    print(f"cpu p50 {statistics.median(cpu):.1f} ms")


if __name__ == "__main__":
    main()
