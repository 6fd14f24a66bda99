"""What a claim document upload may be: at most 5 files, each at most 25 MB, of an allowed type.

The type is decided by the file's content (its signature), not only by its name: a file whose
content does not match an allowed type, or whose name says another type, is refused. One bad file
refuses the whole submission.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from portal_core.errors import ValidationFailed
from portal_core.rules.file_names import safe_file_name as safe_file_name  # the stored name

MAX_FILES = 5
"""Files per submission."""

MAX_BYTES = 25 * 1024 * 1024
"""Size limit of each file (25 MB)."""

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "tiff": "image/tiff",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
}
"""Allowed kinds and the media type stored for each."""

EXTENSIONS = {
    ".pdf": "pdf",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".txt": "txt",
}
"""File name endings and the kind each claims."""

_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
)


def sniff(content: bytes) -> str | None:
    """The kind the content's signature shows; `txt` for UTF-8 text without NUL bytes.

    A text file may hold control characters (an ESC from a terminal log, a form feed): they are
    stored as they are and shown inert (`inert_text`). A NUL byte marks binary content."""
    for signature, kind in _SIGNATURES:
        if content.startswith(signature):
            return kind
    if b"\x00" in content:
        return None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "txt"


def _content_words(content: bytes) -> str:
    """What the content is instead, in words (for a refusal)."""
    found = sniff(content)
    if found is not None:
        return f"its content is a {found.upper()} file"
    if b"\x00" in content:
        return "its content is binary (it holds NUL bytes), not text"
    return "its content is not UTF-8 text"


def check_file(file_name: str, content: bytes) -> str:
    """The media type to store for one file; or `ValidationFailed` naming the file."""
    name = PurePath(file_name.replace("\\", "/")).name.strip()
    if not name:
        raise ValidationFailed("Each file needs a name.", field="files")
    if not content:
        raise ValidationFailed(f"{name} is empty.", field="files")
    if len(content) > MAX_BYTES:
        raise ValidationFailed(f"{name} is larger than 25 MB.", field="files")
    claimed = EXTENSIONS.get(PurePath(name).suffix.lower())
    if claimed is None:
        raise ValidationFailed(
            f"{name}: only PDF, TIFF, PNG, JPEG and text files can be attached.", field="files"
        )
    found = sniff(content)
    if found != claimed:
        raise ValidationFailed(
            f"{name} is not the {claimed.upper()} file its name says it is: "
            f"{_content_words(content)}.",
            field="files",
        )
    return MEDIA_TYPES[found]


def check_submission(files: Sequence[tuple[str, bytes]]) -> list[str]:
    """Media types for every file, in order; `ValidationFailed` refuses the whole submission."""
    if not files:
        raise ValidationFailed("Choose at least one file to attach.", field="files")
    if len(files) > MAX_FILES:
        raise ValidationFailed("Attach at most 5 files at a time.", field="files")
    return [check_file(name, content) for name, content in files]
