"""Scene images rendered from scenarios with real photo crops, and the one box convention.

Box convention for the whole multimodal part: normalized [x0, y0, x1, y1] in 0-1, origin top-left.
The renderer pastes crops of real photographs shipped inside scikit-image's wheel (astronaut and
cameraman: person; chelsea: cat; motorcycle_left: motorcycle) at each detection's scenario box
over a real texture (grass, gravel, brick), darkens by time of day, and records exactly what it
placed. Classes with no real photo available (car, truck, bus, bicycle, dog) are listed as not
rendered rather than drawn as shapes a detector could never see.

Images from outside the renderer (curated ones in data/images/<category>/) are checked before
use by inspect_image: they must resolve inside the images folder (no symlink or '..' escape), be
at most MAX_IMAGE_BYTES and MAX_IMAGE_PIXELS, and decode completely as one of ALLOWED_FORMATS,
detected from their bytes rather than their suffix.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from secassets.core.vocabulary import FRAME_HEIGHT, FRAME_WIDTH
from secassets.storage.files import write_bytes

RENDER_WIDTH = 960
RENDER_HEIGHT = 540
BRIGHTNESS = {"morning": 0.9, "midday": 1.0, "evening": 0.7, "night": 0.45, "late_night": 0.3}
BACKGROUNDS = {"front_door": "brick", "backyard": "grass", "driveway": "gravel", "side_gate": "brick"}
# (skimage image, crop box in source pixels x0, y0, x1, y1)
PHOTO_CROPS: dict[str, list[tuple[str, tuple[int, int, int, int]]]] = {
    "person": [("astronaut", (0, 0, 380, 512)), ("camera", (80, 40, 420, 512))],
    "cat": [("chelsea", (0, 0, 451, 300))],
    "motorcycle": [("motorcycle_left", (0, 0, 741, 500))],
}

Box = tuple[float, float, float, float]

# Pillow format name -> MIME type of the formats a camera image may have.
ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "BMP": "image/bmp"}
MAX_IMAGE_BYTES = 20 * 2**20  # a 4K camera frame as PNG is about 10-25 MB; JPEG far less
MAX_IMAGE_PIXELS = 40_000_000  # 8K is 33 MP; anything larger is not a camera frame


class ImageRejected(ValueError):
    """An image that is outside its folder, too large, of another format, or does not decode."""


@dataclass(frozen=True)
class ImageInfo:
    """What inspect_image found: the real format (by content) and size."""

    format: str
    mime: str
    width: int
    height: int


def inspect_image(
    path: Path, root: Path, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS
) -> ImageInfo:
    """Check an image and decode it fully once; ImageRejected with the reason otherwise."""
    return _open_checked(path, root, max_bytes, max_pixels)[0]


def load_rgb(path: Path, root: Path, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """The image as RGB uint8 pixels, after the checks of inspect_image."""
    return _open_checked(path, root, max_bytes, max_pixels)[1]


def _open_checked(path: Path, root: Path, max_bytes: int, max_pixels: int) -> tuple[ImageInfo, np.ndarray]:
    from PIL import UnidentifiedImageError

    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ImageRejected(f"{path.name} resolves outside the images folder {root} (a link or '..' escape); not read")
    if not resolved.is_file():
        raise ImageRejected(f"{path.name} is not a regular file")
    size = resolved.stat().st_size
    if size > max_bytes:
        raise ImageRejected(f"{path.name} is {size} bytes, over the limit of {max_bytes} (MAX_IMAGE_BYTES); not read")
    fmt = "an image"
    try:
        with Image.open(resolved, formats=list(ALLOWED_FORMATS)) as img:
            fmt, (width, height) = str(img.format), img.size
            if width * height > max_pixels:
                raise ImageRejected(
                    f"{path.name} is {width}x{height} pixels, over the limit of {max_pixels} (MAX_IMAGE_PIXELS); not decoded"
                )
            rgb = np.asarray(img.convert("RGB"))  # decodes every pixel: a truncated file fails here
    except ImageRejected:
        raise
    except UnidentifiedImageError:
        raise ImageRejected(f"{path.name} is not a {'/'.join(ALLOWED_FORMATS)} image (by its content)") from None
    except Image.DecompressionBombError:
        raise ImageRejected(f"{path.name} declares more pixels than Pillow's decompression-bomb limit; not decoded") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(f"{path.name} does not decode as {fmt}: {type(exc).__name__}: {exc}") from None
    return ImageInfo(fmt, ALLOWED_FORMATS[fmt], width, height), rgb


def _skimage(name: str) -> np.ndarray:
    from skimage import data
    from skimage import io as skio

    if name == "motorcycle_left":
        img = skio.imread(Path(data.__file__).parent / "motorcycle_left.png")
    else:
        img = getattr(data, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return img[..., :3].astype(np.uint8)


def pixel_box_to_normalized(bbox: dict[str, int], width: int = FRAME_WIDTH, height: int = FRAME_HEIGHT) -> Box:
    return (bbox["x"] / width, bbox["y"] / height, (bbox["x"] + bbox["w"]) / width, (bbox["y"] + bbox["h"]) / height)


@dataclass(frozen=True)
class RenderedScene:
    """One rendered image and the exact record of what is in it."""

    path: Path
    category: str
    image_sha256: str
    objects: list[dict[str, Any]]  # {"class", "box": [x0, y0, x1, y1]} normalized
    not_rendered: list[str]


def render_scene(row: dict[str, Any], out_dir: Path) -> RenderedScene:
    """Compose the scenario's scene as a PNG under out_dir/<scenario_type>/ and record placed objects."""
    detections = json.loads(row["detections"]) if isinstance(row["detections"], str) else row["detections"]
    texture = _skimage(BACKGROUNDS[row["camera_location"]])
    reps = (RENDER_HEIGHT // texture.shape[0] + 1, RENDER_WIDTH // texture.shape[1] + 1, 1)
    canvas = Image.fromarray(np.tile(texture, reps)[:RENDER_HEIGHT, :RENDER_WIDTH])
    objects, skipped = [], []
    for i, d in enumerate(detections):
        crops = PHOTO_CROPS.get(d["object_type"])
        if not crops:
            skipped.append(d["object_type"])
            continue
        name, (x0, y0, x1, y1) = crops[i % len(crops)]
        box = pixel_box_to_normalized(d["bbox"])
        px = (round(box[0] * RENDER_WIDTH), round(box[1] * RENDER_HEIGHT), round(box[2] * RENDER_WIDTH), round(box[3] * RENDER_HEIGHT))
        crop = Image.fromarray(_skimage(name)[y0:y1, x0:x1]).resize((max(1, px[2] - px[0]), max(1, px[3] - px[1])))
        canvas.paste(crop, (px[0], px[1]))
        objects.append({"class": d["object_type"], "box": [round(px[0] / RENDER_WIDTH, 4), round(px[1] / RENDER_HEIGHT, 4),
                                                           round(px[2] / RENDER_WIDTH, 4), round(px[3] / RENDER_HEIGHT, 4)]})
    pixels = (np.asarray(canvas, dtype=np.float32) * BRIGHTNESS[row["time_of_day"]]).clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    data = buf.getvalue()
    path = out_dir / row["scenario_type"] / f"{row['scenario_hash'][:16]}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, lambda p: p.write_bytes(data))
    return RenderedScene(path, row["scenario_type"], hashlib.sha256(data).hexdigest(), objects, skipped)


def draw_boxes(path: Path, truth: list[dict[str, Any]], local: list[dict[str, Any]], size: tuple[int, int] = (320, 180)) -> Image.Image:
    """The image with ground-truth boxes (green) and local detections (red)."""
    img = Image.open(path).convert("RGB")
    w, h = img.size
    draw = ImageDraw.Draw(img)
    for objs, colour in ((truth, (0, 220, 0)), (local, (230, 0, 0))):
        for o in objs:
            x0, y0, x1, y1 = o["box"]
            draw.rectangle([x0 * w, y0 * h, x1 * w, y1 * h], outline=colour, width=3)
            draw.text((x0 * w + 3, y0 * h + 2), o["class"], fill=colour)
    return img.resize(size)


def image_grid(images: list[Image.Image], columns: int = 3) -> bytes:
    if not images:
        return b""
    w, h = images[0].size
    rows = (len(images) + columns - 1) // columns
    grid = Image.new("RGB", (w * columns, h * rows), (30, 30, 30))
    for i, img in enumerate(images):
        grid.paste(img, ((i % columns) * w, (i // columns) * h))
    buf = io.BytesIO()
    grid.save(buf, format="PNG")
    return buf.getvalue()
