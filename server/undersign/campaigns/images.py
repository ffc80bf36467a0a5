"""A petition's picture: decoded for real, stripped of every metadata, re-encoded, kept.

An organiser's photo from a plant gate may carry where and when it was taken (EXIF GPS),
the phone's make and its owner's name. Nothing of the upload is kept as sent: Pillow
decodes the pixels, and only pixels are encoded again, as a JPEG for the page (at most
1200 px wide) and one cropped to 1200x630 for link previews.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from undersign.core import audit
from undersign.core.auth import Rights
from undersign.core.i18n import LOCALES
from undersign.core.models import Petition, PetitionImage, utcnow
from undersign.core.validation import check_characters

# What an organiser may send, by the body's Content-Type: the formats browsers show.
ACCEPTED_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MAX_UPLOAD_BYTES = 12 * 1024 * 1024  # a phone's full-size photo, with room to spare
# 48 megapixels: the largest phone cameras. A decompression bomb (a small file that
# decodes to billions of pixels) is refused from its header, before any pixel is decoded.
MAX_PIXELS = 48_000_000
# A JPEG is decoded straight at a fraction of its size (draft); PNG and WebP only whole
# (Pillow's WebP decoder holds two copies): these keep a worker's peak under ~100 MB more.
MAX_WHOLE_PIXELS = {"PNG": 16_000_000, "WEBP": 6_000_000}
MIN_SIDE = 200  # smaller than this looks broken on the page and in a preview
PAGE_SIZE = (1200, 1600)  # the page's picture fits in this, never enlarged
SOCIAL_SIZE = (1200, 630)  # what link previews (Open Graph) show
# The largest side shown: what the page and the preview are resampled from.
WORKING_SIZE = (PAGE_SIZE[1], PAGE_SIZE[1])
JPEG_QUALITY = 85
ALT_MOST = 300
VERSION_LENGTH = 16  # hex characters of the digest in the picture's address


class InvalidImage(ValueError):
    """An upload or description that cannot be taken; `field` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NoImage(LookupError):
    pass


@dataclass(frozen=True)
class Encoded:
    """The two encodings of an upload, and the digest that versions them."""

    picture: bytes
    social: bytes
    width: int
    height: int
    digest: str


@dataclass(frozen=True)
class Shown:
    """What a page needs to show a petition's picture, without its bytes."""

    version: str
    width: int
    height: int
    alt: dict[str, str]

    def alt_in(self, locale: str, title: str) -> str:
        """Return the description in `locale`, else the petition's title."""
        return self.alt.get(locale) or title


def encode(data: bytes) -> Encoded:
    """Decode an upload and encode its pixels again; raise InvalidImage if it is not a picture."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidImage("image", f"the image must be at most {MAX_UPLOAD_BYTES // 2**20} MiB")
    image = _clean(_decode(data))
    picture = image.copy()
    picture.thumbnail(PAGE_SIZE, Image.Resampling.LANCZOS)
    # Cropped a little above the middle: faces and banners are rarely at the bottom.
    social = ImageOps.fit(image, SOCIAL_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.4))
    picture_bytes, social_bytes = _jpeg(picture), _jpeg(social)
    digest = hashlib.sha256(picture_bytes + b"\0" + social_bytes).hexdigest()
    return Encoded(picture_bytes, social_bytes, picture.width, picture.height, digest)


def _decode(data: bytes) -> Image.Image:
    """Return the upload's pixels, loaded; refuse what Pillow cannot read or what is too big."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse it all the same.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=tuple(ACCEPTED_TYPES.values()))
            most = MAX_WHOLE_PIXELS.get(image.format or "", MAX_PIXELS)
            if image.width * image.height > most:
                raise InvalidImage("image", _too_many_pixels(most))
            if min(image.width, image.height) < MIN_SIDE:
                raise InvalidImage(
                    "image", f"the image must be at least {MIN_SIDE} pixels on each side"
                )
            # A JPEG can be decoded at a half, a quarter or an eighth of its size at once:
            # far less memory and time for a photo that is shrunk to 1200 px anyway.
            image.draft("RGB", (PAGE_SIZE[0], PAGE_SIZE[0]))
            image.load()
            # Every later step copies the pixels: shrunk now, in place, they are few.
            image.thumbnail(WORKING_SIZE, Image.Resampling.LANCZOS)
    except InvalidImage:
        raise  # our own refusal, which is a ValueError too
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage("image", _too_many_pixels(MAX_PIXELS)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        # A truncated or forged file fails here, in Pillow's decoders, not later in ours.
        raise InvalidImage("image", "the body is not a JPEG, PNG or WebP image") from None
    return image


def _too_many_pixels(most: int) -> str:
    return f"the image must have at most {most // 1_000_000} million pixels"


def _clean(image: Image.Image) -> Image.Image:
    """Return the pixels upright, in sRGB, on white where transparent, with no metadata at all."""
    image = ImageOps.exif_transpose(image)  # as the camera was held; the tag itself goes
    image = _in_srgb(image)
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        flattened = Image.new("RGB", image.size, "white")
        flattened.paste(image, mask=image.getchannel("A"))
        image = flattened
    clean = image.convert("RGB")
    clean.info = {}  # EXIF (GPS, camera, owner), XMP, ICC, comments: nothing goes along
    return clean


def _in_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels described by an embedded colour profile (a phone's Display P3) to sRGB.

    The profile itself is not kept, so without this the colours would shift.
    """
    profile = image.info.get("icc_profile")
    if not profile:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(
            image.convert("RGB") if image.mode not in ("RGB", "CMYK") else image,
            source,
            ImageCms.createProfile("sRGB"),
            outputMode="RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: the pixels as they are are the best guess
    return converted if converted is not None else image


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def store(session: Session, petition: Petition, data: bytes, *, by: Rights) -> PetitionImage:
    """Take an upload as the petition's picture, replacing any before; log it and commit."""
    encoded = encode(data)
    row = session.get(PetitionImage, petition.id) or PetitionImage(petition_id=petition.id)
    row.picture, row.social, row.digest = encoded.picture, encoded.social, encoded.digest
    row.width, row.height = encoded.width, encoded.height
    row.uploaded_at = utcnow()
    # A new picture shows something else: the old description would mislead a screen reader.
    row.alt = {}
    session.add(row)
    audit.record(
        session, by, "petition.image", petition.slug, width=encoded.width, height=encoded.height
    )
    session.commit()
    return row


def describe_alt(session: Session, petition: Petition, alt: Any, *, by: Rights) -> PetitionImage:
    """Set what the picture shows, per language; log it and commit."""
    row = current(session, petition)
    row.alt = _checked_alt(alt)
    audit.record(session, by, "petition.image_alt", petition.slug, locales=sorted(row.alt))
    session.commit()
    return row


def _checked_alt(alt: Any) -> dict[str, str]:
    if not isinstance(alt, dict) or not all(isinstance(v, str) for v in alt.values()):
        raise InvalidImage("alt", 'alt must look like {"en": "…", "ru": "…"}')
    unknown = set(alt) - set(LOCALES)
    if unknown:
        raise InvalidImage("alt", f"alt has unsupported languages: {', '.join(sorted(unknown))}")
    checked = {}
    for locale, text in alt.items():
        text = text.strip()
        if len(text) > ALT_MOST:
            raise InvalidImage("alt", f"alt must be at most {ALT_MOST} characters")
        try:
            check_characters(text, multiline=False)
        except ValueError:
            raise InvalidImage("alt", "alt holds characters that are not text") from None
        if text:
            checked[locale] = text
    return checked


def remove(session: Session, petition: Petition, *, by: Rights) -> None:
    """Take the petition's picture away (the generated card takes its place); log it and commit."""
    session.delete(current(session, petition))
    audit.record(session, by, "petition.image_delete", petition.slug)
    session.commit()


def current(session: Session, petition: Petition) -> PetitionImage:
    """Return the petition's picture; raise NoImage if it has none."""
    row = session.get(PetitionImage, petition.id)
    if row is None:
        raise NoImage(petition.slug)
    return row


def shown(session: Session, petition: Petition) -> Shown | None:
    """Return what the petition page shows of its picture, reading none of its bytes."""
    found = session.execute(
        select(
            PetitionImage.digest, PetitionImage.width, PetitionImage.height, PetitionImage.alt
        ).where(PetitionImage.petition_id == petition.id)
    ).first()
    if found is None:
        return None
    digest, width, height, alt = found
    return Shown(digest[:VERSION_LENGTH], width, height, alt or {})


def encoding(session: Session, petition: Petition, social: bool) -> tuple[bytes, str]:
    """Return the picture's bytes (page or preview size) and its digest; raise NoImage."""
    column = PetitionImage.social if social else PetitionImage.picture
    found = session.execute(
        select(column, PetitionImage.digest).where(PetitionImage.petition_id == petition.id)
    ).first()
    if found is None:
        raise NoImage(petition.slug)
    return found[0], found[1]


def describe(row: PetitionImage, slug: str) -> dict[str, Any]:
    """Return the organiser API's view of a picture: its addresses, size and descriptions."""
    version = row.digest[:VERSION_LENGTH]
    return {
        "url": f"/p/{slug}/image.jpg?v={version}",
        "social_url": f"/p/{slug}/share.jpg?v={version}",
        "width": row.width,
        "height": row.height,
        "digest": row.digest,
        "alt": row.alt,
        "uploaded_at": row.uploaded_at.isoformat(),
    }
