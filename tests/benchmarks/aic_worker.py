"""Estimate benchmark rows with NVIDIA AIConfigurator, run by the ``.venv-aic`` interpreter.

``bench_aiconfigurator`` starts this script as a subprocess under ``.venv-aic/bin/python``;
it reads a CSV in the ``benchmarks.csv`` format and writes the same rows plus ``aic_*``
columns. For each row it decides whether AIConfigurator supports it (the criteria are in
``plan_row``) and, unless ``--plan-only``, asks AIConfigurator's static estimate (static batch
rows) or aggregated in-flight-batching estimate (closed-loop concurrency rows) for TTFT, TPOT
(= ITL), end-to-end latency and output throughput.

It must import nothing of Preflight (it runs in another virtualenv): only the standard library
and, lazily, ``aiconfigurator``. It never reads a row's measured outputs. One row's failure or
timeout is written to ``aic_note`` and never stops the run.

Usage::

    .venv-aic/bin/python tests/benchmarks/aic_worker.py IN.csv OUT.csv \
        --models-csv knowledge/data/models.csv [--plan-only] [--jobs 2] [--cache PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import multiprocessing
import os
import re
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType

AIC_COLUMNS = [
    "aic_supported",
    "aic_model",
    "aic_system",
    "aic_backend",
    "aic_version",
    "aic_mode",
    "aic_ttft_ms",
    "aic_itl_ms",
    "aic_e2e_ms",
    "aic_output_tok_per_s",
    "aic_seconds",
    "aic_note",
]

# Preflight GPU name -> AIConfigurator system. Only the same chip with the same memory; GPUs
# AIConfigurator has no database for (GH200, L40, A100-40GB, H100 PCIe/NVL) are unsupported.
GPU_TO_SYSTEM = {
    "A100-SXM-80GB": "a100_sxm",
    "H100-SXM-80GB": "h100_sxm",
    "H200-SXM-141GB": "h200_sxm",
    "B200-SXM-180GB": "b200_sxm",
    "GB200": "gb200",
    "L40S": "l40s",
    "RTX-PRO-6000-Blackwell": "rtx_pro_6000_server",
}
BACKENDS = {"trtllm": "trtllm", "vllm": "vllm", "sglang": "sglang"}
AMPERE_SYSTEMS = {"a100_sxm"}
BLACKWELL_SYSTEMS = {"b200_sxm", "gb200", "rtx_pro_6000_server"}

# HF ids whose architecture AIConfigurator models (its ARCHITECTURE_TO_MODEL_FAMILY):
# Llama-family checkpoints (LlamaForCausalLM) and Mixtral (MixtralForCausalLM). GPT-J, Falcon,
# Mistral (MistralForCausalLM), Qwen1.5/2 and the others are outside its model list.
LLAMA_ID = re.compile(
    r"^(meta-llama/(Llama-2-|Meta-Llama-3-|Llama-3\.)|nvidia/Llama-3\.|huggyllama/llama-)"
)
MIXTRAL_ID = re.compile(r"^mistralai/Mixtral-")
FLAGGED_NOTE = re.compile(r"^(WARNING|SUSPECT|CHECK)")


@dataclass(frozen=True)
class Plan:
    """One AIConfigurator estimate request derived from a row's inputs only."""

    model: str
    model_path: str
    system: str
    backend: str
    mode: str
    isl: int
    osl: int
    batch_size: int
    tp: int
    replicas: int
    gemm_quant: str
    kv_quant: str
    moe: bool

    def key(self) -> str:
        """Return the cache key of this request (the config folder is temporary)."""
        fields = asdict(self)
        del fields["model_path"]
        return json.dumps(fields, sort_keys=True)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _quant_modes(precision: str, system: str) -> tuple[str, str] | str:
    """Map a row's precision to (gemm, kv-cache) quant modes, or return why not."""
    text = precision.lower()
    if text.startswith(("fp16", "bf16")):
        return "bfloat16", "bfloat16"
    if text.startswith("fp8"):
        if system in AMPERE_SYSTEMS:
            return "fp8 on an Ampere GPU"
        return "fp8", "fp8"
    if text.startswith(("fp4", "nvfp4")):
        if system not in BLACKWELL_SYSTEMS:
            return "fp4 outside Blackwell"
        return "nvfp4", "fp8"
    return f"precision {precision or '(empty)'} not mapped"


def _architecture(model: str) -> str | None:
    if MIXTRAL_ID.match(model):
        return "MixtralForCausalLM"
    if LLAMA_ID.match(model):
        return "LlamaForCausalLM"
    return None


def _model_path(model: str, models: dict[str, dict[str, str]], config_dir: Path) -> str | None:
    """Write a local ``config.json`` for ``model`` from models.csv; return its folder or None.

    AIConfigurator would download the same fields from the Hugging Face hub; offline it reads
    this folder. Architecture facts only, never performance data.
    """
    architecture = _architecture(model)
    if architecture is None or model not in models:
        return None
    spec = models[model]
    folder = config_dir / model.replace("/", "--")
    if not (folder / "config.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        config: dict[str, object] = {
            "architectures": [architecture],
            "model_type": "mixtral" if architecture.startswith("Mixtral") else "llama",
            "hidden_size": int(spec["hidden"]),
            "intermediate_size": int(spec["intermediate"]),
            "num_attention_heads": int(spec["heads"]),
            "num_hidden_layers": int(spec["layers"]),
            "num_key_value_heads": int(spec["kv_heads"]),
            "head_dim": int(spec["head_dim"]),
            "vocab_size": int(spec["vocab"]),
            "max_position_embeddings": int(spec["max_context"]),
            "tie_word_embeddings": spec["tie_embeddings"] == "true",
            "torch_dtype": "bfloat16",
        }
        if spec["moe_experts"]:
            config["num_local_experts"] = int(spec["moe_experts"])
            config["num_experts_per_tok"] = int(spec["moe_top_k"])
        (folder / "config.json").write_text(json.dumps(config, indent=2))
    return str(folder)


def plan_row(
    row: dict[str, str], models: dict[str, dict[str, str]], config_dir: Path
) -> Plan | str:
    """Decide whether AIConfigurator supports ``row``; return its request or the reason not.

    Support criteria (inputs only, never measured outputs): the row is not flagged
    (WARNING/SUSPECT/CHECK); the engine is trtllm, vllm or sglang; the GPU has an
    AIConfigurator system of the same chip and memory; the model's architecture is one
    AIConfigurator models (Llama family or Mixtral-8x7B); the precision maps to a quant mode
    the GPU runs; tensor parallel, input and output tokens are given; the load is a static
    batch of a given size (``offline``) or a closed-loop ``concurrency``.
    """
    if FLAGGED_NOTE.match(row.get("notes", "")):
        return "row flagged in notes"
    backend = BACKENDS.get(row["engine"])
    if backend is None:
        return f"engine {row['engine'] or '(empty)'} not in AIConfigurator"
    system = GPU_TO_SYSTEM.get(row["gpu"])
    if system is None:
        return f"GPU {row['gpu']} has no AIConfigurator system"
    model_path = _model_path(row["model"], models, config_dir)
    if model_path is None:
        return f"model {row['model']} architecture not modelled by AIConfigurator"
    quant = _quant_modes(row["precision"], system)
    if isinstance(quant, str):
        return quant
    tp, isl, osl = (_number(row[k]) for k in ("tensor_parallel", "input_tokens", "output_tokens"))
    gpus, load = _number(row["gpu_count"]) or tp, _number(row["load_value"])
    if tp is None or isl is None or osl is None or gpus is None:
        return "tensor_parallel, input_tokens or output_tokens not given"
    if load is None or load < 1 or row["load_type"] not in ("offline", "concurrency"):
        return f"load {row['load_type']}={row['load_value']} is not a sized batch or concurrency"
    replicas = max(1, int(gpus) // int(tp))
    return Plan(
        model=row["model"],
        model_path=model_path,
        system=system,
        backend=backend,
        mode="static" if row["load_type"] == "offline" else "agg",
        isl=max(1, round(isl)),
        osl=max(2, round(osl)),
        batch_size=max(1, math.ceil(load / replicas)),
        tp=int(tp),
        replicas=replicas,
        gemm_quant=quant[0],
        kv_quant=quant[1],
        moe=_architecture(row["model"]) == "MixtralForCausalLM",
    )


class _RowTimeoutError(RuntimeError):
    """Raised by the alarm handler when one estimate runs past its time."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _RowTimeoutError("timed out")


def estimate(plan: Plan, timeout_s: int) -> dict[str, str]:
    """Run one AIConfigurator estimate; return the ``aic_*`` prediction columns."""
    from aiconfigurator.cli.api import cli_estimate

    moe = {"moe_tp_size": plan.tp, "moe_ep_size": 1} if plan.moe else {}
    started = time.perf_counter()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(timeout_s)
    try:
        result = cli_estimate(
            plan.model_path,
            plan.system,
            mode=plan.mode,
            backend_name=plan.backend,
            isl=plan.isl,
            osl=plan.osl,
            batch_size=plan.batch_size,
            tp_size=plan.tp,
            gemm_quant_mode=plan.gemm_quant,
            kvcache_quant_mode=plan.kv_quant,
            **moe,
        )
        out = {
            "aic_version": str(result.backend_version),
            "aic_ttft_ms": f"{float(result.ttft):.4f}",
            "aic_itl_ms": f"{float(result.tpot):.4f}",
            "aic_e2e_ms": f"{float(result.request_latency):.4f}",
            "aic_output_tok_per_s": f"{float(result.tokens_per_second) * plan.replicas:.4f}",
            "aic_note": result.kv_cache_warning or "",
        }
    # A benchmark harness around third-party code: whatever AIConfigurator raises for one row
    # (its own error tree, lookups, hub errors) becomes that row's note, never a stopped run.
    except Exception as exc:  # noqa: BLE001
        message = str(exc).replace(plan.model_path, plan.model)
        out = {"aic_note": f"AIConfigurator failed: {type(exc).__name__}: {message}"[:300]}
    finally:
        signal.alarm(0)
    out["aic_seconds"] = f"{time.perf_counter() - started:.3f}"
    return out


def _estimate_job(job: tuple[Plan, int]) -> tuple[str, dict[str, str]]:
    plan, timeout_s = job
    return plan.key(), estimate(plan, timeout_s)


def _load_cache(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None or not path.exists():
        return {}
    cache: dict[str, dict[str, str]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            entry = json.loads(line)
            cache[entry["key"]] = entry["out"]
    return cache


def _run_estimates(
    plans: list[Plan], cache_path: Path | None, jobs: int, timeout_s: int
) -> dict[str, dict[str, str]]:
    """Estimate every distinct plan not in the cache, appending new results to it."""
    cache = _load_cache(cache_path)
    todo = list({p.key(): p for p in plans if p.key() not in cache}.values())
    print(f"aic_worker: {len(plans)} rows, {len(todo)} new estimates", file=sys.stderr)
    sink = cache_path.open("a") if cache_path is not None else None
    context = multiprocessing.get_context("fork")
    with context.Pool(max(1, jobs)) as pool:
        results = pool.imap_unordered(_estimate_job, [(p, timeout_s) for p in todo])
        for done, (key, out) in enumerate(results, start=1):
            cache[key] = out
            if sink is not None and "timed out" not in out["aic_note"]:
                sink.write(json.dumps({"key": key, "out": out}) + "\n")
                sink.flush()
            if done % 25 == 0:
                print(f"aic_worker: {done}/{len(todo)}", file=sys.stderr, flush=True)
    if sink is not None:
        sink.close()
    return cache


def run(args: argparse.Namespace) -> int:
    """Plan (and unless ``--plan-only`` estimate) every row of ``args.input``."""
    with open(args.models_csv, newline="") as handle:
        models = {m["hf_id"]: m for m in csv.DictReader(handle)}
    with open(args.input, newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="aic_models_") as config_dir:
        plans = [plan_row(row, models, Path(config_dir)) for row in rows]
        if not args.plan_only:
            real = [p for p in plans if isinstance(p, Plan)]
            results = _run_estimates(real, args.cache, args.jobs, args.timeout)
    with open(args.output, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields + AIC_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row, plan in zip(rows, plans, strict=True):
            writer.writerow({**row, **_columns(plan, results)})
    return 0


def _columns(plan: Plan | str, results: dict[str, dict[str, str]]) -> dict[str, str]:
    if isinstance(plan, str):
        return {"aic_supported": "0", "aic_note": plan}
    return {
        "aic_supported": "1",
        "aic_model": plan.model,
        "aic_system": plan.system,
        "aic_backend": plan.backend,
        "aic_mode": plan.mode,
        **results.get(plan.key(), {}),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--models-csv", type=Path, required=True)
    parser.add_argument("--plan-only", action="store_true")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 1)))
    parser.add_argument("--timeout", type=int, default=120, help="seconds per estimate")
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
