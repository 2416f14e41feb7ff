"""NLU quality on a held-out split: intent F1 per intent and per language (a report, not a gate).

    .venv-rasa/bin/python tests/support/nlu_report.py [--out results/nlu]

Trains an NLU-only model on 80 % of data/nlu (stratified by intent, fixed seed), parses the other 20 %
and prints precision, recall and F1 for each intent, overall and split by the language of the example.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from actions.language import detect_language  # noqa: E402


def split(examples: list, share: float, seed: int) -> tuple[list, list]:
    by_intent: dict[str, list] = defaultdict(list)
    for example in examples:
        by_intent[example.get("intent")].append(example)
    rng = random.Random(seed)
    train, test = [], []
    for group in by_intent.values():
        rng.shuffle(group)
        cut = max(1, int(len(group) * share))
        test += group[:cut]
        train += group[cut:]
    return train, test


def f1_table(pairs: list[tuple[str, str]]) -> dict[str, tuple[float, float, float, int]]:
    labels = sorted({gold for gold, _ in pairs})
    table = {}
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = (precision, recall, f1, tp + fn)
    return table


async def evaluate(out: Path, seed: int) -> None:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_data(str(ROOT / "data" / "nlu"))
    train, test = split(list(data.intent_examples), 0.2, seed)
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.yml"
        TrainingData(train, entity_synonyms=data.entity_synonyms, regex_features=data.regex_features,
                     lookup_tables=data.lookup_tables).persist_nlu(str(train_file))
        model = await asyncio.to_thread(train_nlu, str(ROOT / "config.yml"), str(train_file), tmp,
                                        fixed_model_name="nlu-eval", domain=str(ROOT / "domain.yml"))
        agent = Agent.load(model)
        rows = []
        fallbacks = 0
        for example in test:
            parsed = await agent.parse_message(example.get("text"))
            language = detect_language(example.get("text")) or "?"
            ranked = [r["name"] for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            top = ranked[0] if ranked else parsed["intent"]["name"]
            rows.append((example.get("intent"), top, language, example.get("text")))
            fallbacks += parsed["intent"]["name"] == "nlu_fallback"
    print(f"\n{fallbacks} of {len(rows)} held-out examples fell below the FallbackClassifier threshold "
          "(the assistant then asks to rephrase or offers the two closest intents);\n"
          "the F1 below is that of DIET's top intent.")
    report(rows, out)


def report(rows: list[tuple[str, str, str, str]], out: Path) -> None:
    overall = f1_table([(g, p) for g, p, _, _ in rows])
    by_language = {lang: f1_table([(g, p) for g, p, lg, _ in rows if lg == lang]) for lang in ("fr", "en")}
    print(f"\nNLU held-out evaluation: {len(rows)} examples (20 % split, stratified by intent)")
    print(f"{'intent':22} {'F1':>6} {'F1 fr':>6} {'F1 en':>6} {'n':>4}")
    for intent, (_, _, f1, support) in overall.items():
        cells = [by_language[lang].get(intent, (0, 0, float("nan"), 0))[2] for lang in ("fr", "en")]
        print(f"{intent:22} {f1:6.3f} {cells[0]:6.3f} {cells[1]:6.3f} {support:4d}")
    macro = sum(v[2] for v in overall.values()) / len(overall)
    accuracy = sum(1 for g, p, _, _ in rows if g == p) / len(rows)
    print(f"macro F1 {macro:.3f} · accuracy {accuracy:.3f} · target 0.95 (reported, not enforced)")
    errors = [r for r in rows if r[0] != r[1]]
    for gold, predicted, language, text in errors[:15]:
        print(f"  miss [{language}] {text!r}: {gold} -> {predicted}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "intent_f1.json").write_text(json.dumps(
        {"overall": overall, "by_language": by_language, "errors": errors}, indent=2, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "nlu")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    import structlog  # Rasa's parse logs go through structlog, straight to stdout: keep the report clean

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    asyncio.run(evaluate(args.out, args.seed))


if __name__ == "__main__":
    main()
