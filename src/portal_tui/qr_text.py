"""A QR code drawn with Unicode half blocks, so an authenticator app can scan it off the terminal.

Each character cell holds two modules, one above the other (`▀`, `▄`, `█` or a space); the text is
meant to be shown dark on light (`QR_STYLE`), whatever the theme, with the quiet zone around it
that scanners need.
"""

from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_L

QR_STYLE = "#000000 on #ffffff"
"""Dark modules on a light ground: what phone cameras read best."""

QUIET_ZONE = 2
"""Light modules around the code (the standard asks for 4; 2 scans well and fits 80x24 better)."""

_CELLS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def qr_text(data: str) -> str:
    """`data` as a QR code in half blocks: one line per two rows of modules."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_L, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = [[bool(cell) for cell in row] for row in code.get_matrix()]
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    return "\n".join(
        "".join(_CELLS[(top, bottom)] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(matrix[0::2], matrix[1::2], strict=True)
    )
