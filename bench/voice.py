"""Voice recognition on meal descriptions spoken by espeak-ng: food recall against the text.

30 descriptions of the labelled meal set (``tests/fixtures/meal-descriptions/meals.jsonl``,
every eighth line from the first: spread over the whole set, not picked; the reported set),
each said as "Today I ate ...", are synthesised at each speaking rate (words per minute) and
transcribed by the tiny.en recogniser on the CPU. Each transcript then goes through the same
text pipeline and labels as its description (``ml_ops.text.evaluate``), so food recall by
voice compares directly with food recall by text on the same 30: once matched as written
(the typed-text matcher) and once as heard (``ml_ops.speech.heard``, what the voice path uses).
``--offset 4`` takes every eighth line from the fifth instead: the set the voice path was
tuned on, disjoint from the reported one (``--offset 2`` and ``6`` as well, for the beam's
other readings). Recall and precision are printed with the foods the other readings add (the
voice path), and for the transcript alone.
Also printed: every transcript, per rate the word error rate and the transcription time
p50/p90 per clip, and the model load time. About 1 to 2 minutes on 2 cores.

    PYTHONPATH=. .venv/bin/python -m bench.voice [--limit N] [--offset 0] [--rates 175 130]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from ml_ops.speech.evaluate import evaluate_voice, heard_items, summarise
from ml_ops.speech.heard import heard_matcher
from ml_ops.speech.recogniser import BEAM_SIZE, DIARY_PROMPT, WhisperRecogniser, weights_dir
from ml_ops.text.evaluate import evaluate, load_set, score

MEALS = Path(__file__).parents[1] / "tests" / "fixtures" / "meal-descriptions" / "meals.jsonl"
STRIDE = 8
CARRIER = "Today I ate {}."
"""Each description is spoken as a sentence, as a user would say it."""


def main(argv: list[str] | None = None) -> None:
    """Evaluate and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N sentences")
    parser.add_argument("--offset", type=int, default=0, help="first line (0: reported set)")
    parser.add_argument("--rates", type=int, nargs="+", default=[175, 130])
    parser.add_argument("--beam", type=int, default=BEAM_SIZE, help="beam size (1: greedy)")
    parser.add_argument("--prompt", default=DIARY_PROMPT, help="initial prompt for the decoder")
    args = parser.parse_args(argv)
    rows = load_set(MEALS)[args.offset :: STRIDE][: args.limit or 30]
    labels = {CARRIER.format(text): foods for text, foods in rows}
    sentences = list(labels)
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
        for reading in r.alternatives:
            print(f"{'':50s}or {reading!r}")
    text = evaluate(rows)
    print(f"text: food recall {text.recall:.3f}, precision {text.precision:.3f} "
          f"({text.labels} labelled foods in {len(rows)} descriptions)")  # fmt: skip
    print("rate  clips  WER    p50 s  p90 s  p50 cpu s  mean clip s  recall  precision"
          "  (transcript only: recall  precision; as written: recall  precision)")  # fmt: skip
    for s in summarise(results):
        mine = [r for r in results if r.rate == s.rate]
        heard = [(r.transcript, labels[r.sentence]) for r in mine]
        voice = score((r.transcript, labels[r.sentence], heard_items(r, heard_matcher()))
                      for r in mine)  # fmt: skip
        best, written = evaluate(heard, heard_matcher()), evaluate(heard)
        print(f"{s.rate:4d}  {s.clips:5d}  {s.wer:5.3f}  {s.p50_seconds:5.2f}  "
              f"{s.p90_seconds:5.2f}  {s.p50_cpu_seconds:9.2f}  {s.audio_seconds:11.2f}  "
              f"{voice.recall:6.3f}  {voice.precision:9.3f}  "
              f"{best.recall:25.3f}  {best.precision:9.3f}  "
              f"{written.recall:17.3f}  {written.precision:9.3f}")  # fmt: skip
        for miss in voice.misses:
            print(f"      {miss.kind:7s} {miss.name!r} in {miss.text!r}")


if __name__ == "__main__":
    main()
