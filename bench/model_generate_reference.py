#!/usr/bin/env python3
"""The PyTorch-Python eager reference for bench/model_generate: the same Qwen2 decoder, written the way
HF transformers' eager Qwen2 is (separate q/k/v/o and gate/up/down nn.Linear modules, repeat_kv for
grouped-query attention, a KV cache grown with torch.cat, matmul-softmax-matmul attention), loaded from
the checkpoint the C++ driver wrote, generating with the same settings.

Prints one JSON line: {"tokens_per_s", "cpu_tokens_per_s", "seconds", "runs", "output_ids"} (the median
run by wall time, and by the process's CPU time, which a shared machine's load disturbs less). Only needs torch (Debian's
python3-torch here); safetensors is parsed by hand.
"""
import argparse
import json
import math
import os
import struct
import time

import torch
from torch import nn
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
ITEMSIZE = {"F32": 4, "BF16": 2, "F16": 2}


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        t = torch.frombuffer(data, dtype=DTYPES[e["dtype"]], count=(end - b) // ITEMSIZE[e["dtype"]], offset=b)
        out[name] = t.reshape(e["shape"]).clone()
    return out


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h, self.kv = c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = c["hidden_size"] // self.h
        d = c["hidden_size"]
        self.q_proj = nn.Linear(d, self.h * self.hd, bias=True)
        self.k_proj = nn.Linear(d, self.kv * self.hd, bias=True)
        self.v_proj = nn.Linear(d, self.kv * self.hd, bias=True)
        self.o_proj = nn.Linear(self.h * self.hd, d, bias=False)

    def forward(self, x, cos, sin, mask, cache):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if cache[0] is not None:
                k = torch.cat([cache[0], k], dim=2)
                v = torch.cat([cache[1], v], dim=2)
            cache[0], cache[1] = k, v
        rep = self.h // self.kv
        k = k[:, :, None].expand(b, self.kv, rep, k.shape[2], self.hd).reshape(b, self.h, k.shape[2], self.hd)
        v = v[:, :, None].expand(b, self.kv, rep, v.shape[2], self.hd).reshape(b, self.h, v.shape[2], self.hd)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.hd) + mask
        w = F.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(w, v).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(out)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, i = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(d, i, bias=False)
        self.up_proj = nn.Linear(d, i, bias=False)
        self.down_proj = nn.Linear(i, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask, cache):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask, cache)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen2(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        hd = c["hidden_size"] // c["num_attention_heads"]
        self.register_buffer("inv_freq", 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2).float() / hd)),
                             persistent=False)

    def forward(self, ids, pos, mask, caches):
        x = self.embed_tokens(ids)
        freqs = pos.float()[..., None] * self.inv_freq.float()
        emb = torch.cat((freqs, freqs), dim=-1)[:, None]  # (B, 1, T, hd)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        for layer, cache in zip(self.layers, caches):
            x = layer(x, cos, sin, mask, cache)
        return self.lm_head(self.norm(x[:, -1:]))[:, -1].float()


def load_model(d):
    c = json.load(open(os.path.join(d, "config.json")))
    m = Qwen2(c).eval()
    sd = {}
    for k, v in load_safetensors(os.path.join(d, "model.safetensors")).items():  # unsharded: what the bench writes
        sd[k[len("model."):] if k.startswith("model.") else k] = v
    if c.get("tie_word_embeddings"):
        sd["lm_head.weight"] = sd["embed_tokens.weight"]
    m.load_state_dict(sd)
    return m


def process(logits, seen, a, gen):
    """HF's order: repetition penalty, temperature, top-k, top-p, then draw."""
    if a.repetition_penalty != 1.0:
        s = torch.gather(logits, 1, seen)
        s = torch.where(s < 0, s * a.repetition_penalty, s / a.repetition_penalty)
        logits = logits.scatter(1, seen, s)
    if a.greedy:
        return logits.argmax(-1)
    logits = logits / a.temperature
    if a.top_k > 0:
        kth = torch.topk(logits, a.top_k)[0][..., -1, None]
        logits = logits.masked_fill(logits < kth, -float("inf"))
    if a.top_p < 1.0:
        sl, si = torch.sort(logits, descending=False)
        remove = sl.softmax(-1).cumsum(-1) <= 1 - a.top_p
        remove[..., -1:] = False
        logits = logits.masked_fill(remove.scatter(1, si, remove), -float("inf"))
    return torch.multinomial(logits.softmax(-1), 1, generator=gen).squeeze(-1)


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


@torch.inference_mode()
def generate(m, prompts, a):
    b, p = prompts.shape
    dev, dtype = prompts.device, m.embed_tokens.weight.dtype
    caches = [[None, None] for _ in m.layers]
    causal = torch.full((p, p), torch.finfo(dtype).min, device=dev, dtype=dtype).triu(1)[None, None]
    pos = torch.arange(p, device=dev)[None].expand(b, p)
    logits = m(prompts, pos, causal, caches)
    gen = torch.Generator(device=dev).manual_seed(a.seed)
    seen = prompts
    out = []
    no_mask = torch.zeros(1, 1, 1, 1, device=dev, dtype=dtype)
    for step in range(a.new_tokens):
        tok = process(logits, seen, a, gen)
        out.append(tok)
        if step + 1 == a.new_tokens:
            break
        seen = torch.cat([seen, tok[:, None]], 1)
        logits = m(tok[:, None], torch.full((b, 1), p + step, device=dev), no_mask, caches)
    return torch.stack(out, 1).cpu()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompts", required=True, help="JSON file: list of equal-length token id lists")
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--greedy", action="store_true")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--top-k", type=int, default=0)
    ap.add_argument("--top-p", type=float, default=1.0)
    ap.add_argument("--repetition-penalty", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="f32", choices=["f32", "bf16", "f16"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    m = load_model(a.model).to(dev, {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[a.dtype])
    prompts = torch.tensor(json.load(open(a.prompts)), dtype=torch.long, device=dev)
    generate(m, prompts, a)  # warm-up
    times, cpu_times = [], []
    for _ in range(a.runs):
        sync(dev)
        t0, c0 = time.perf_counter(), time.process_time()
        ids = generate(m, prompts, a)
        sync(dev)
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    t = sorted(times)[len(times) // 2]
    c = sorted(cpu_times)[len(cpu_times) // 2]
    n = prompts.shape[0] * a.new_tokens
    print(json.dumps({"tokens_per_s": n / t, "cpu_tokens_per_s": n / c, "seconds": t, "runs": times,
                      "output_ids": ids.tolist()}))


if __name__ == "__main__":
    main()
