"""WAV files as phones record them (PCM or G.711 μ-law), read with the standard library."""

from __future__ import annotations

import struct
from dataclasses import dataclass

PCM, MU_LAW = 1, 7


class BadAudio(ValueError):
    """Not audio we can read, or no sound in it."""


@dataclass(frozen=True)
class Wav:
    encoding: int
    channels: int
    rate: int
    sample_bytes: int
    data: bytes

    @property
    def frames(self) -> int:
        return len(self.data) // (self.channels * self.sample_bytes)


def read_wav(audio: bytes) -> Wav:
    """The format and samples of a WAV file (PCM or μ-law); BadAudio otherwise."""
    if len(audio) < 12 or audio[:4] != b"RIFF" or audio[8:12] != b"WAVE":
        raise BadAudio("not a WAV recording")
    chunks = _chunks(audio)
    if b"fmt " not in chunks or b"data" not in chunks or len(chunks[b"fmt "]) < 16:
        raise BadAudio("a WAV recording without format or data")
    encoding, channels, rate, _, _, bits = struct.unpack("<HHIIHH", chunks[b"fmt "][:16])
    if encoding not in (PCM, MU_LAW) or channels < 1 or rate < 1 or bits not in (8, 16):
        raise BadAudio(f"unsupported WAV format {encoding} ({bits} bits, {channels} channels)")
    return Wav(encoding, channels, rate, bits // 8, chunks[b"data"])


def _chunks(audio: bytes) -> dict[bytes, bytes]:
    found: dict[bytes, bytes] = {}
    offset = 12
    while offset + 8 <= len(audio):
        name, size = (
            audio[offset : offset + 4],
            struct.unpack("<I", audio[offset + 4 : offset + 8])[0],
        )
        found.setdefault(name, audio[offset + 8 : offset + 8 + size])
        offset += 8 + size + size % 2
    return found


def check_audio(audio: bytes) -> Wav:
    """The WAV recording, or BadAudio if unreadable or silent."""
    wav = read_wav(audio)
    silent = wav.data.strip(b"\xff\x7f" if wav.encoding == MU_LAW else b"\x00")
    if wav.frames == 0 or not silent:
        raise BadAudio("the recording is empty")
    return wav
