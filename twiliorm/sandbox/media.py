"""Small generated audio bodies for recording media (``.wav`` and ``.mp3``).

A recording's media is a short tone: enough for a client to download, store
and play, without shipping audio files. The WAV is real PCM written by the
standard library; the MP3 is a run of valid MPEG-1 Layer III frames of
silence (a frame header followed by empty frame data).
"""

from __future__ import annotations

import functools
import io
import math
import struct
import wave

__all__ = ["CONTENT_TYPES", "audio"]

CONTENT_TYPES = {"wav": "audio/x-wav", "mp3": "audio/mpeg"}
_RATE = 8000
_MP3_HEADER = bytes((0xFF, 0xFB, 0x90, 0x64))  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz
_MP3_FRAME = 417  # bytes per frame at that rate: 144 * 128000 / 44100
_MP3_FRAMES_PER_SECOND = 38


def audio(kind: str, seconds: int) -> bytes:
    """The media of a recording ``seconds`` long (capped at 2 s: it only has to be real)."""
    length = max(1, min(seconds, 2))
    return _wav(length) if kind == "wav" else _mp3(length)


@functools.lru_cache(maxsize=8)
def _wav(seconds: int) -> bytes:
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / _RATE)))
        for i in range(_RATE * seconds)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(_RATE)
        writer.writeframes(frames)
    return out.getvalue()


@functools.lru_cache(maxsize=8)
def _mp3(seconds: int) -> bytes:
    frame = _MP3_HEADER + bytes(_MP3_FRAME - len(_MP3_HEADER))
    return frame * (_MP3_FRAMES_PER_SECOND * seconds)
