"""Voice recognition on meal sentences spoken by espeak-ng: word error rate and time per clip.

Each sentence of ``bench/voice_sentences.txt`` is synthesised at each speaking rate (words per
minute), transcribed by the tiny.en recogniser on the CPU, and compared with the sentence
(numbers written as digits on both sides). Prints every transcript, then per rate the corpus
word error rate, the transcription time p50/p90 per clip, and the model load time.

Food agreement (a rough proxy until the meal-sentence matcher runs on these sentences): each
sentence and each transcript is cut at commas, "and", "with", "on" and "plus", and every piece
resolved with ``terminology.foods.lookup``; the share of the sentence's foods that the
transcript's pieces also resolve to.
The full set (30 sentences at 2 rates) takes about 1 to 2 minutes on 2 cores.

    PYTHONPATH=. .venv/bin/python -m bench.voice [--limit N] [--rates 175 130] [--beam 5]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

from ml_ops.speech.evaluate import VoiceResult, evaluate_voice, summarise
from ml_ops.speech.recogniser import WhisperRecogniser, weights_dir
from terminology.foods.lookup import food_lookup

SENTENCES = Path(__file__).with_name("voice_sentences.txt")
_PIECES = re.compile(r",|\.|\b(?:and|with|on|plus)\b", re.IGNORECASE)
_FILLER = re.compile(
    r"^(?:for (?:breakfast|lunch|dinner) )?(?:i (?:had|ate|drank|have) )?(?:some )?|"
    r" in the (?:morning|afternoon|evening)$",
    re.IGNORECASE,
)


def foods_in(text: str) -> set[str]:
    """The food ids the pieces of a sentence resolve to."""
    lookup = food_lookup()
    found = set()
    for piece in _PIECES.split(text):
        words = _FILLER.sub("", piece.strip()).strip()
        resolved = lookup.resolve(words) if words else None
        if resolved is not None:
            found.add(resolved.food.id)
    return found


def food_agreement(results: list[VoiceResult], rate: int) -> float:
    """Share of the sentences' foods that the transcripts at ``rate`` resolve to as well."""
    wanted = heard = 0
    for r in results:
        if r.rate == rate:
            expected = foods_in(r.sentence)
            wanted += len(expected)
            heard += len(expected & foods_in(r.transcript))
    return heard / max(wanted, 1)


def main(argv: list[str] | None = None) -> None:
    """Evaluate and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N sentences")
    parser.add_argument("--rates", type=int, nargs="+", default=[175, 130])
    parser.add_argument("--beam", type=int, default=5, help="beam size (1: greedy)")
    parser.add_argument("--prompt", default=None, help="initial prompt for the decoder")
    args = parser.parse_args(argv)
    sentences = [s.strip() for s in SENTENCES.read_text().splitlines() if s.strip()]
    sentences = sentences[: args.limit] if args.limit else sentences
    started = time.perf_counter()
    recogniser = WhisperRecogniser(weights_dir(), beam_size=args.beam, prompt=args.prompt)
    recogniser.load()
    loaded = time.perf_counter() - started
    print(f"load average {os.getloadavg()[0]:.1f}; model {recogniser.model}, loaded in "
          f"{loaded:.2f} s, {os.cpu_count()} CPUs, beam {args.beam}")  # fmt: skip
    results = evaluate_voice(sentences, args.rates, recogniser)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    for r in results:
        print(
            f"{r.rate:4d} wpm  wer {r.wer:5.2f}  {r.seconds:5.2f} s  cpu {r.cpu_seconds:5.2f} s  "
            f"{r.sentence!r} -> {r.transcript!r}"
        )
    print("rate  clips  WER    p50 s  p90 s  p50 cpu s  mean clip s  food agreement")
    for s in summarise(results):
        print(f"{s.rate:4d}  {s.clips:5d}  {s.wer:5.3f}  {s.p50_seconds:5.2f}  "
              f"{s.p90_seconds:5.2f}  {s.p50_cpu_seconds:9.2f}  {s.audio_seconds:11.2f}  "
              f"{food_agreement(results, s.rate):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
