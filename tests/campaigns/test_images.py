"""A petition's picture: what an upload becomes, and what it is refused for."""

from __future__ import annotations

import io
import json

import pytest
from PIL import ExifTags, Image
from undersign.campaigns import images

from tests.cli import test_cli

GPS = {1: "N", 2: (47.0, 47.0, 30.0), 3: "E", 4: (67.0, 42.0, 10.0)}  # Zhezkazgan, to the second


def photo(
    size: tuple[int, int] = (3000, 2000),
    fmt: str = "JPEG",
    *,
    orientation: int | None = None,
    mode: str = "RGB",
) -> bytes:
    """A phone's photo: made with Pillow, with the camera, its owner and GPS in EXIF."""
    image = Image.new(mode, size, (200, 40, 30, 255) if mode == "RGBA" else (200, 40, 30))
    # The top-left quarter blue, so which way up the result is can be seen.
    image.paste((20, 60, 200), (0, 0, size[0] // 2, size[1] // 2))
    exif = image.getexif()
    exif[ExifTags.Base.Model] = "PlantCam 3000"
    exif[ExifTags.Base.Artist] = "Aigerim Seitkali"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    data = out.getvalue()
    # The upload really carries where it was taken: otherwise the tests below prove nothing.
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo) == GPS
    return data


def bomb() -> bytes:
    """A 41 KB PNG that decodes to 144 million pixels."""
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000), 1).save(out, "PNG")
    return out.getvalue()


def flat(size: tuple[int, int], fmt: str) -> bytes:
    """A picture of one colour: a few kilobytes, however many pixels."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 30)).save(out, fmt)
    return out.getvalue()


def test_a_phone_photo_of_48_megapixels_is_taken_and_shrunk():
    encoded = images.encode(flat((8000, 6000), "JPEG"))
    assert (encoded.width, encoded.height) == (1200, 900)
    assert opened(encoded.social).size == (1200, 630)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_loses_its_gps_camera_and_owner_and_is_shrunk_to_1200_wide(fmt):
    encoded = images.encode(photo(fmt=fmt))
    picture, social = opened(encoded.picture), opened(encoded.social)
    assert picture.format == social.format == "JPEG"
    assert (picture.width, picture.height) == (encoded.width, encoded.height) == (1200, 800)
    assert social.size == (1200, 630)
    for kept in (encoded.picture, encoded.social):
        assert dict(opened(kept).getexif()) == {}
        assert b"Exif" not in kept and b"PlantCam" not in kept and b"Seitkali" not in kept
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(opened(kept).info)


def test_a_photo_taken_sideways_is_stored_upright():
    # Orientation 6: the camera was turned; the pixels are landscape, the scene is portrait.
    picture = opened(images.encode(photo((3000, 2000), orientation=6)).picture)
    assert picture.size == (1067, 1600)
    # Turned a quarter clockwise, the blue top-left quarter is now top-right.
    top_right, top_left = picture.getpixel((picture.width - 50, 50)), picture.getpixel((50, 50))
    assert top_right[2] > 150 and top_right[0] < 100  # blue
    assert top_left[0] > 150 and top_left[2] < 100  # red


def test_a_small_picture_is_not_enlarged_and_transparency_becomes_white():
    encoded = images.encode(photo((640, 400), "PNG", mode="RGBA"))
    assert (encoded.width, encoded.height) == (640, 400)
    out = io.BytesIO()
    see_through = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    see_through.save(out, "PNG")
    r, g, b = opened(images.encode(out.getvalue()).picture).getpixel((10, 10))
    assert min(r, g, b) > 245


def test_the_same_upload_gets_the_same_version_and_another_one_another():
    assert images.encode(photo()).digest == images.encode(photo()).digest
    assert images.encode(photo()).digest != images.encode(photo((2000, 3000))).digest


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), "red").save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: b"Not a picture at all, just words.\n", "not a JPEG, PNG or WebP"),
        (lambda: photo()[:5000], "not a JPEG, PNG or WebP"),  # cut off on the way
        (gif, "not a JPEG, PNG or WebP"),  # a decoder we do not open
        (bomb, "at most 48 million pixels"),  # refused by Pillow, from the header
        # 48 megapixels of PNG in 148 KB: a JPEG's limit, but decoded whole it took a worker
        # from 160 MB to 570 MB.
        (lambda: flat((8000, 6000), "PNG"), "at most 16 million pixels"),
        (lambda: flat((3000, 2001), "WEBP"), "at most 6 million pixels"),
        (lambda: photo((150, 600)), "at least 200 pixels"),
    ],
    ids=["text", "truncated", "gif", "decompression-bomb", "48mp-png", "webp", "too-small"],
)
def test_what_is_not_a_usable_picture_is_refused_by_name(make, says):
    with pytest.raises(images.InvalidImage, match=says) as refused:
        images.encode(make())
    assert refused.value.field == "image"


# --- the command line: `undersign petition image` --------------------------------------------

invoke, run = test_cli.invoke, test_cli.run  # its fixtures: the command run in this process


def test_the_command_line_sets_a_stripped_picture_with_descriptions(run, tmp_path):
    run("petition", "create", "plant", "--title", "Save the plant")
    (tmp_path / "gate.jpg").write_bytes(photo())
    done = run("petition", "image", "plant", "gate.jpg", "--alt", "ru=Проходная завода")
    shown = json.loads(done.stdout)
    assert (shown["width"], shown["height"]) == (1200, 800)
    assert shown["alt"] == {"ru": "Проходная завода"}
    assert run("petition", "image", "plant", "--remove").stdout.startswith("removed")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("petition", "image", "plant", "notes.txt"), "image: the body is not a JPEG"),
        (("petition", "image", "plant", "bomb.png"), "image: the image must have at most"),
        (("petition", "image", "plant", "--remove"), "plant has no picture"),
        (("petition", "image", "nowhere", "bomb.png"), "no petition called 'nowhere'"),
        (("petition", "image", "plant"), "give either FILE or --remove"),
    ],
    ids=["text", "bomb", "nothing-to-remove", "no-petition", "neither"],
)
def test_the_command_line_refuses_in_one_line(run, tmp_path, args, says):
    run("petition", "create", "plant", "--title", "Save the plant")
    (tmp_path / "notes.txt").write_text("not a picture")
    (tmp_path / "bomb.png").write_bytes(bomb())
    done = run(*args, check=False)
    assert done.exit_code != 0
    assert says in done.stderr and "Traceback" not in done.stderr
