#!/usr/bin/env python3
"""transformers' generate as the reference for bench/model_generate on the GPU machine: the same CLI
and JSON output as bench/model_generate_reference.py, so the C++ driver can run either. Loads our
checkpoint with Qwen2ForCausalLM.from_pretrained and refuses it if any weight is missing or unexpected
(our checkpoints must be valid HF checkpoints)."""
import argparse
import json
import sys
import time

import torch
from transformers import Qwen2ForCausalLM

DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--greedy", action="store_true")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--top-k", type=int, default=0)
    ap.add_argument("--top-p", type=float, default=1.0)
    ap.add_argument("--repetition-penalty", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="bf16", choices=list(DTYPES))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    model, info = Qwen2ForCausalLM.from_pretrained(a.model, dtype=DTYPES[a.dtype], attn_implementation="sdpa",
                                                   output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if bad:
        print(f"checkpoint {a.model} is not a clean Qwen2ForCausalLM: {bad}", file=sys.stderr)
        sys.exit(1)
    model = model.to(dev).eval()
    prompts = torch.tensor(json.load(open(a.prompts)), dtype=torch.long, device=dev)
    kw = dict(attention_mask=torch.ones_like(prompts), max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens,
              pad_token_id=0, eos_token_id=None, repetition_penalty=a.repetition_penalty)
    if a.greedy:
        kw.update(do_sample=False)
    else:
        kw.update(do_sample=True, temperature=a.temperature, top_k=a.top_k, top_p=a.top_p)

    def run():
        torch.manual_seed(a.seed)
        with torch.inference_mode():
            return model.generate(prompts, **kw)[:, prompts.shape[1]:]

    run()  # warm-up
    times, cpu_times = [], []
    for _ in range(a.runs):
        torch.cuda.synchronize() if dev.type == "cuda" else None
        t0, c0 = time.perf_counter(), time.process_time()
        ids = run()
        torch.cuda.synchronize() if dev.type == "cuda" else None
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    t = sorted(times)[len(times) // 2]
    c = sorted(cpu_times)[len(cpu_times) // 2]
    n = prompts.shape[0] * a.new_tokens
    print(json.dumps({"tokens_per_s": n / t, "cpu_tokens_per_s": n / c, "seconds": t, "runs": times,
                      "output_ids": ids.cpu().tolist()}))


if __name__ == "__main__":
    main()
