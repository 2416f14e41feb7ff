"""NLU quality by stratified k-fold cross-validation: intent F1 per intent and per language.

    .venv-rasa/bin/python tests/support/nlu_report.py [--out results/nlu] [--folds 5] [--seed 7]
        [--min-f1 0.93] [--check-reproducible]

Splits data/nlu into k folds (stratified by intent and language, fixed seed), trains an NLU-only model on
k-1 folds and parses the held-out one, k times; every example is scored once. Prints precision, recall,
F1 and support per intent, overall and per language, and each language's macro F1; writes the same as
JSON to `--out`/intent_f1.json.

The language of an example is the `metadata: {language: ...}` of its block in data/nlu. Examples tagged
`any` (emoji, masked card data, names) count in both languages: French and English users send them alike.
Untagged examples fall back to `actions.language.detect_language`.

`--min-f1 X` exits 1 when a language's macro F1 is below X. `--check-reproducible` trains the first fold a
second time from the same file and exits 1 if any held-out prediction differs (seeds, see config.yml).

`--only-reproducible --epochs N` (what `make test` runs) trains fold 1 twice with DIET's epochs set to N,
and nothing else: whether two trainings agree depends on the seeds, not on how long they train, and the
whole report takes five full trainings (`make evaluate`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from reading.language import detect_language  # noqa: E402

LANGUAGES = ("fr", "en")
NEUTRAL = "any"
Scores = dict[str, dict[str, float]]
Row = dict[str, Any]


def language_of(example: Any) -> str:
    """The example's block tag (fr, en, any), else a guess from its words."""
    tag = ((example.get("metadata") or {}).get("intent") or {}).get("language")
    return tag or detect_language(example.get("text")) or NEUTRAL


def stratified_folds(examples: list, k: int, seed: int) -> list[list]:
    """k folds, each with about 1/k of every (intent, language) group."""
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for example in examples:
        groups[(example.get("intent"), language_of(example))].append(example)
    rng = random.Random(seed)
    folds: list[list] = [[] for _ in range(k)]
    dealt = 0  # carried across groups, so small groups do not all start in fold 1
    for key in sorted(groups):
        group = groups[key]
        rng.shuffle(group)
        for example in group:
            folds[dealt % k].append(example)
            dealt += 1
    return folds


@contextmanager
def weights_built_eagerly() -> Iterator[None]:
    """While loading a model, DIET builds its weights by fitting one example in graph mode.

    Tracing that training step takes ~55 s here, a fold, for weights the saved ones then overwrite; run
    that one step eagerly instead, then go back to graph mode before the saved weights are loaded: the
    predictions run in the traced predict step as in the server (eagerly, a parse takes 135 ms, not 22).
    """
    from rasa.utils.tensorflow.models import RasaModel

    def compile_eagerly(model: Any, *args: Any, **kwargs: Any) -> None:
        model._run_eagerly_wanted = kwargs.get("run_eagerly")
        super(RasaModel, model).compile(*args, **{**kwargs, "run_eagerly": True})

    def load_weights_in_graph_mode(model: Any, *args: Any, **kwargs: Any) -> Any:
        model.run_eagerly = getattr(model, "_run_eagerly_wanted", None)
        return super(RasaModel, model).load_weights(*args, **kwargs)

    RasaModel.compile = compile_eagerly  # type: ignore[method-assign]
    RasaModel.load_weights = load_weights_in_graph_mode  # type: ignore[method-assign]
    try:
        yield
    finally:
        del RasaModel.compile  # back to keras' own
        del RasaModel.load_weights


def domain_path() -> Path:
    # The domain is moving from domain.yml to a directory of feature files.
    return ROOT / "domain" if (ROOT / "domain").is_dir() else ROOT / "domain.yml"


async def train_and_parse(
    train: list, test: list, data: Any, workdir: Path, name: str, config: Path
) -> list[Row]:
    """Trains NLU on `train` (written to a file, as `rasa train nlu` reads it) and parses `test`."""
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.training_data import TrainingData

    train_file = workdir / f"{name}.yml"
    if not train_file.exists():  # a repeated training reads the very same file
        TrainingData(train, entity_synonyms=data.entity_synonyms, regex_features=data.regex_features,
                     lookup_tables=data.lookup_tables).persist_nlu(str(train_file))
    model = await asyncio.to_thread(train_nlu, str(config), str(train_file), str(workdir),
                                    fixed_model_name=name, domain=str(domain_path()))
    if model is None:
        raise SystemExit(f"training {name} failed (see the log)")
    with weights_built_eagerly():
        agent = Agent.load(model)
    rows = []
    for example in test:
        parsed = await agent.parse_message(example.get("text"))
        ranked = [r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
        top = ranked[0] if ranked else parsed["intent"]
        rows.append({"text": example.get("text"), "gold": example.get("intent"),
                     "language": language_of(example), "predicted": top["name"],
                     "confidence": round(float(top.get("confidence") or 0), 4),
                     "final": parsed["intent"]["name"],
                     "entities": spans(example.get("entities") or []),
                     "found": spans(parsed.get("entities", []))})
    Path(model).unlink()
    return rows


def spans(entities: list[dict[str, Any]]) -> list[list[Any]]:
    """The entities NLU found in the text (not the language of the whole message: it has no span)."""
    return sorted([e["entity"], e["start"], e["end"]] for e in entities if e["entity"] != "language")


def entity_table(rows: list[Row]) -> Scores:
    """Entity precision, recall, F1 by type: a found entity counts when its type and span are right."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        gold, found = {tuple(e) for e in r["entities"]}, {tuple(e) for e in r["found"]}
        for entity, *_ in gold | found:
            counts[entity]  # every type seen gets a row
        for entity, *_ in gold & found:
            counts[entity]["tp"] += 1
        for entity, *_ in found - gold:
            counts[entity]["fp"] += 1
        for entity, *_ in gold - found:
            counts[entity]["fn"] += 1
    table = {}
    for entity, c in sorted(counts.items()):
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[entity] = {"precision": precision, "recall": recall, "f1": f1, "support": c["tp"] + c["fn"]}
    return table


def f1_table(pairs: list[tuple[str, str]]) -> Scores:
    table = {}
    for label in sorted({gold for gold, _ in pairs}):
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    return table


def macro(table: Scores) -> float:
    return sum(v["f1"] for v in table.values()) / len(table) if table else 0.0


def summarize(rows: list[Row]) -> dict[str, Any]:
    scopes = {"overall": rows}
    scopes.update({lang: [r for r in rows if r["language"] in (lang, NEUTRAL)] for lang in LANGUAGES})
    summary = {}
    for scope, chosen in scopes.items():
        table = f1_table([(r["gold"], r["predicted"]) for r in chosen])
        right = sum(r["gold"] == r["predicted"] for r in chosen)
        summary[scope] = {"macro_f1": macro(table), "examples": len(chosen),
                          "accuracy": right / max(1, len(chosen)), "intents": table}
    summary["entities"] = entity_table(rows)
    return summary


def print_report(summary: dict[str, Any], rows: list[Row], folds: int) -> None:
    neutral = sum(r["language"] == NEUTRAL for r in rows)
    print(f"\nNLU {folds}-fold cross-validation: {len(rows)} examples, each held out once "
          f"(fr and en include the {neutral} language-neutral ones)")
    scopes = ("overall", *LANGUAGES)
    print(f"{'':22}" + "".join(f" | {scope:^26}" for scope in scopes))
    print(f"{'intent':22}" + " | {:>6}{:>6}{:>6}{:>5}".format("P", "R", "F1", "n") * len(scopes))
    for intent in summary["overall"]["intents"]:
        cells = []
        for scope in scopes:
            score = summary[scope]["intents"].get(intent)
            cells.append(" | {precision:6.3f}{recall:6.3f}{f1:6.3f}{support:5d}".format(**score) if score
                         else " | " + " " * 23 + "-")
        print(f"{intent:22}" + "".join(cells))
    print("macro F1" + "".join(f" · {scope} {summary[scope]['macro_f1']:.3f}" for scope in scopes)
          + f" · accuracy {summary['overall']['accuracy']:.3f}")
    weakest = sorted((v["f1"], lang, intent)
                     for lang in LANGUAGES for intent, v in summary[lang]["intents"].items())
    print("weakest: " + ", ".join(f"{intent} ({lang}) {f1:.3f}" for f1, lang, intent in weakest[:6]))
    confusions = Counter((r["gold"], r["predicted"]) for r in rows if r["gold"] != r["predicted"])
    print("most confused: " + ", ".join(f"{g} -> {p} ×{n}" for (g, p), n in confusions.most_common(8)))
    for r in [r for r in rows if r["gold"] != r["predicted"]][:40]:
        print(f"  miss [{r['language']}] {r['text']!r}: {r['gold']} -> {r['predicted']} "
              f"({r['confidence']:.2f})")
    print("entities (type and span right): " + ", ".join(
        "{} P {precision:.3f} R {recall:.3f} F1 {f1:.3f} n {support}".format(entity, **score)
        for entity, score in summary["entities"].items()))
    for r in [r for r in rows if r["entities"] != r["found"]][:15]:
        print(f"  entities {r['text']!r}: {r['entities']} -> {r['found']}")
    fallbacks = sum(r["final"] == "nlu_fallback" for r in rows)
    print(f"{fallbacks} of {len(rows)} held-out examples fell below the FallbackClassifier threshold (the "
          "assistant then asks to rephrase or offers the two closest intents);\n"
          "the F1 above is that of DIET's top intent.")


def differences(first: list[Row], second: list[Row]) -> list[dict[str, Any]]:
    """Held-out examples whose intent (DIET's top one, or the final one after the fallback) changed."""
    changed = []
    for a, b in zip(first, second, strict=True):
        before, after = [a["predicted"], a["final"]], [b["predicted"], b["final"]]
        if before != after:
            changed.append({"text": a["text"], "first": before, "second": after})
    return changed


def config_with_epochs(config: Path, epochs: int | None, workdir: Path) -> Path:
    """`config`, or a copy of it whose DIETClassifier trains `epochs` epochs."""
    if epochs is None:
        return config
    import yaml

    content = yaml.safe_load(config.read_text())
    diet = [c for c in content["pipeline"] if c["name"] == "DIETClassifier"]
    if not diet:
        raise SystemExit(f"{config} has no DIETClassifier to set the epochs of")
    diet[0]["epochs"] = epochs
    copy = workdir / "config.yml"
    copy.write_text(yaml.safe_dump(content, sort_keys=False))
    return copy


async def reproducible_only(args: argparse.Namespace) -> int:
    """Fold 1 trained twice from the same file: exit 1 if a held-out prediction differs."""
    from rasa.shared.nlu.training_data.loading import load_data

    started = time.monotonic()
    data = load_data(str(ROOT / "data" / "nlu"))
    folds = stratified_folds(list(data.intent_examples), args.folds, args.seed)
    train = [e for fold in folds[1:] for e in fold]
    with tempfile.TemporaryDirectory() as tmp:
        config = config_with_epochs(args.config, args.epochs, Path(tmp))
        first = await train_and_parse(train, folds[0], data, Path(tmp), "fold-1", config)
        again = await train_and_parse([], folds[0], data, Path(tmp), "fold-1", config)
    changed = differences(first, again)
    largest = max(abs(a["confidence"] - b["confidence"]) for a, b in zip(first, again, strict=True))
    epochs = f"{args.epochs} epochs" if args.epochs else "the configured epochs"
    print(f"reproducibility: fold 1 of {args.folds} ({len(train)} examples, {epochs}) trained twice from "
          f"the same file, {len(changed)} of {len(first)} held-out predictions differ (largest confidence "
          f"change {largest:.4f}), {time.monotonic() - started:.0f} s")
    for d in changed[:40]:
        print(f"  differs {d['text']!r}: {d['first']} then {d['second']}")
    return 1 if changed else 0


async def evaluate(args: argparse.Namespace) -> int:
    from rasa.shared.nlu.training_data.loading import load_data

    started = time.monotonic()
    data = load_data(str(ROOT / "data" / "nlu"))
    folds = stratified_folds(list(data.intent_examples), args.folds, args.seed)
    rows: list[Row] = []
    first_fold: list[Row] = []
    repeat: dict[str, Any] = {"checked": args.check_reproducible}
    with tempfile.TemporaryDirectory() as tmp:
        config = config_with_epochs(args.config, args.epochs, Path(tmp))
        for index, test in enumerate(folds):
            train = [e for other, fold in enumerate(folds) if other != index for e in fold]
            fold_rows = await train_and_parse(train, test, data, Path(tmp), f"fold-{index + 1}", config)
            print(f"fold {index + 1}/{args.folds}: {sum(r['gold'] == r['predicted'] for r in fold_rows)}"
                  f"/{len(fold_rows)} right ({time.monotonic() - started:.0f} s)", flush=True)
            rows += fold_rows
            first_fold = first_fold or fold_rows
        if args.check_reproducible:
            again = await train_and_parse([], folds[0], data, Path(tmp), "fold-1", config)
            repeat["differences"] = differences(first_fold, again)
            repeat["max_confidence_change"] = max(abs(a["confidence"] - b["confidence"])
                                                  for a, b in zip(first_fold, again, strict=True))
    summary = summarize(rows)
    print_report(summary, rows, args.folds)
    failures = []
    if args.check_reproducible:
        changed = repeat["differences"]
        print(f"\nreproducibility: fold 1 trained twice from the same file, {len(changed)} of "
              f"{len(first_fold)} predictions differ "
              f"(largest confidence change {repeat['max_confidence_change']:.4f})")
        for d in changed:
            print(f"  differs {d['text']!r}: {d['first']} then {d['second']}")
        if changed:
            failures.append("two trainings from the same inputs predict differently")
    if args.min_f1 is not None:
        failures += [f"{lang} macro F1 {summary[lang]['macro_f1']:.3f} < {args.min_f1}"
                     for lang in LANGUAGES if summary[lang]["macro_f1"] < args.min_f1]
    seconds = time.monotonic() - started
    verdict = "".join(f"\nFAILED: {failure}" for failure in failures) or ": ok"
    print(f"\n{args.folds} folds in {seconds:.0f} s{verdict}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "intent_f1.json").write_text(json.dumps(
        {"folds": args.folds, "seed": args.seed, "min_f1": args.min_f1, "seconds": round(seconds),
         "failures": failures, "reproducibility": repeat, **summary,
         "errors": [r for r in rows if r["gold"] != r["predicted"]]}, indent=2, ensure_ascii=False))
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "nlu")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7, help="seed of the split into folds")
    parser.add_argument("--min-f1", type=float, help="exit 1 when a language's macro F1 is below this")
    parser.add_argument("--check-reproducible", action="store_true",
                        help="train fold 1 twice, exit 1 if a prediction differs")
    parser.add_argument("--only-reproducible", action="store_true",
                        help="only train fold 1 twice and compare (no report)")
    parser.add_argument("--epochs", type=int, help="DIET's epochs for this run (default: config.yml's)")
    args = parser.parse_args()
    # Rasa's training cache would hand the second training the first one's model: measure, don't remember.
    os.environ["RASA_MAX_CACHE_SIZE"] = "0"
    logging.disable(logging.WARNING)
    import structlog  # Rasa's parse logs go through structlog, straight to stdout: keep the report clean

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    sys.exit(asyncio.run(reproducible_only(args) if args.only_reproducible else evaluate(args)))


if __name__ == "__main__":
    main()
