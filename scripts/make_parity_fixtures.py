#!/usr/bin/env python3
"""Makes the Qwen2 parity fixtures with Hugging Face transformers and tokenizers.

The C++ model and tokenizer (src/model/) are tested against what the reference implementations produce on
the same tiny random checkpoint: token ids for sample texts, logits for fixed inputs, greedy continuations.
transformers and tokenizers are not Debian packages, so this runs on the GPU machine (CPU math there, f32,
so nothing depends on TF32 or kernel choice):

    python3 scripts/make_parity_fixtures.py --out DIR      # writes DIR/qwen2-tiny{,-tied,-sharded}/

and the result is committed under tests/fixtures/. Everything is seeded; a rerun with the same library
versions reproduces the files (versions are recorded in fixtures.json).
"""
import argparse
import json
import os
import random

import torch
import tokenizers
import transformers
from safetensors.torch import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import Qwen2Config, Qwen2ForCausalLM

# Qwen2's pre-tokenizer split (a fact of its tokenizer.json format, needed to reproduce it).
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
ADDED = ["<tool_call>", "</tool_call>", "<think>", "</think>", "<answer>", "</answer>",
         "<tool_response>", "</tool_response>"]

PASSES = ("adce aggressive-instcombine always-inline argpromotion attributor bdce break-crit-edges "
          "called-value-propagation constmerge constprop correlated-propagation cross-dso-cfi deadargelim "
          "dse early-cse early-cse-memssa elim-avail-extern float2int forceattrs functionattrs globaldce "
          "globalopt globalsplit gvn gvn-hoist hotcoldsplit indvars inferattrs inline instcombine "
          "instsimplify ipconstprop ipsccp jump-threading lcssa licm loop-deletion loop-distribute "
          "loop-fusion loop-idiom loop-instsimplify loop-interchange loop-load-elim loop-reduce "
          "loop-reroll loop-rotate loop-simplify loop-simplifycfg loop-sink loop-unroll loop-unswitch "
          "loop-vectorize lower-expect lower-widenable-condition loweratomic lowerinvoke lowerswitch "
          "mem2reg memcpyopt mergefunc mergeicmps mldst-motion nary-reassociate newgvn partial-inliner "
          "partially-inline-libcalls prune-eh reassociate reg2mem rpo-functionattrs sccp separate-const-"
          "offset-from-gep simple-loop-unswitch simplifycfg sink slp-vectorizer slsr speculative-execution "
          "sroa strip-dead-prototypes tailcallelim").split()


def training_text(rng):
    """Text shaped like our trajectories (ChatML, JSON features, pass lists) plus prose and other scripts."""
    prose = ["The optimizer reduced the instruction count by 3.2% over -Oz.",
             "It's a small program; we'll try the synergy graph first, then fall back.",
             "Naïve café résumé — déjà vu. Straße, Ærø, İstanbul.",
             "编译器优化需要找到更好的遍序列。", "Оптимизация кода уменьшила размер.", "最適化パス 🚀✨ done.",
             "x = y + 42; if (n <= 1) return n; for (int i = 0; i < 10; ++i) {}",
             "Don't stop; I'd say THEY'RE right, we've seen it, you'll see."]
    lines = []
    for _ in range(400):
        seq = rng.sample(PASSES, rng.randint(3, 12))
        feats = {f"f{j}": rng.randint(0, 500) for j in range(rng.randint(3, 8))}
        lines.append("<|im_start|>user\n" + json.dumps(feats, indent=2) + "\nInstruction count: "
                     + str(rng.randint(50, 9000)) + "<|im_end|>\n")
        lines.append("<|im_start|>assistant\n<think>The count is " + str(rng.randint(50, 9000))
                     + "; try " + " ".join("--" + p for p in seq[:3]) + ".</think>\n<tool_call>\n"
                     + json.dumps({"name": "instrcount",
                                   "arguments": {"filename": f"prog{rng.randint(0, 99)}.c",
                                                 "optimization_flags": ["--" + p for p in seq]}})
                     + "\n</tool_call><|im_end|>\n")
        lines.append("<tool_response>\n" + json.dumps({"status": "success",
                                                        "improvement_over_oz": round(rng.uniform(-5, 9), 2)})
                     + "\n</tool_response>\n<answer>" + json.dumps(["--" + p for p in seq]) + "</answer>\n")
        lines.append(rng.choice(prose) + "\n")
    return lines


def make_tokenizer(rng, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(training_text(rng), trainer=trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in ADDED])
    return tok


TEXTS = [
    "Hello world", "hello  world", " leading space", "trailing space ", "tabs\tand\ttabs",
    "line\nbreaks\n\nand\r\nCRLF\r\n", "   \n  indented\n", "It's DON'T we'll THEY'RE i'd",
    "12345 3.14159 -42 1e-6 0x1F", "naïve café résumé", "e\u0301 vs \u00e9 (NFC)", "Ångström \u212b",
    "编译器优化需要找到更好的遍序列。", "Оптимизация", "emoji 🚀✨👍🏽 mix", "tab\t\t\tend",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n",
    "x<tool_call>y</tool_call>z", "<think>reason</think><answer>[\"--sroa\", \"--gvn\"]</answer>",
    '<tool_call>\n{"name": "instrcount", "arguments": {"filename": "a.c", "optimization_flags": ["--instcombine"]}}\n</tool_call>',
    '{\n  "TotalInsts": 812,\n  "BB03Phi": 4\n}', "--early-cse-memssa --instcombine --simplifycfg",
    "", " ", "\n", "a", "!!!???...", "unknown 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and \u00a0nbsp", "<|endoftext|>", "<|im_end|><|im_end|>",
    "mixed<|im_start|>inline", "ab" * 50,
]


def tokenizer_cases(tok):
    cases = []
    for text in TEXTS:
        enc = tok.encode(text, add_special_tokens=False)
        cases.append({"text": text, "ids": enc.ids, "tokens": enc.tokens,
                      "decoded": tok.decode(enc.ids, skip_special_tokens=False),
                      "decoded_skip_special": tok.decode(enc.ids, skip_special_tokens=True)})
    return cases


def randomize(model, seed):
    """Non-default biases and norm weights, so that every parameter matters in the comparison."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.08 * torch.randn(p.shape, generator=g))


def config_for(vocab, tied):
    return Qwen2Config(vocab_size=vocab, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                       rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=tied,
                       bos_token_id=SPECIAL_IDS["<|endoftext|>"], eos_token_id=SPECIAL_IDS["<|im_end|>"],
                       pad_token_id=SPECIAL_IDS["<|endoftext|>"], use_sliding_window=False,
                       attn_implementation="eager")


SPECIAL_IDS = {}


def forward_cases(model, tok, pad_id):
    texts = ["<|im_start|>user\nShrink this program.<|im_end|>\n<|im_start|>assistant\n<think>",
             "--sroa --gvn", "Hello world, it's naïve."]
    ids = [tok.encode(t, add_special_tokens=False).ids for t in texts]
    width = max(map(len, ids))
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):  # left padding, as batched generation uses
        input_ids[i, width - len(row):] = torch.tensor(row)
        mask[i, width - len(row):] = 1
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask, position_ids=position_ids).logits.float()
    return {"input_ids": input_ids, "attention_mask": mask, "position_ids": position_ids,
            "logits": logits.contiguous()}


def greedy_cases(model, tok, pad_id, eos_id):
    out = []
    prompts = ["<|im_start|>user\nShrink this program.<|im_end|>\n<|im_start|>assistant\n", "--sroa"]
    for penalty in (1.0, 1.05):
        for p in prompts:  # one at a time: no padding
            ids = tok.encode(p, add_special_tokens=False).ids
            with torch.no_grad():
                gen = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                     max_new_tokens=24, min_new_tokens=24, do_sample=False,
                                     repetition_penalty=penalty, pad_token_id=pad_id, eos_token_id=None)
            out.append({"prompt_ids": ids, "repetition_penalty": penalty, "max_new_tokens": 24,
                        "output_ids": gen[0, len(ids):].tolist()})
    # A left-padded batch: the continuations must not depend on the padding.
    rows = [tok.encode(p, add_special_tokens=False).ids for p in prompts]
    width = max(map(len, rows))
    input_ids = torch.tensor([[pad_id] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    with torch.no_grad():
        gen = model.generate(input_ids, attention_mask=mask, max_new_tokens=16, min_new_tokens=16,
                             do_sample=False, pad_token_id=pad_id, eos_token_id=None)
    out.append({"batch_prompt_ids": rows, "padding": "left", "pad_token_id": pad_id, "max_new_tokens": 16,
                "repetition_penalty": 1.0, "output_ids": [g[width:].tolist() for g in gen]})
    return out


def write_model_dir(path, model, tok, config, dtype, shard=None):
    os.makedirs(path, exist_ok=True)
    kwargs = {"safe_serialization": True}
    if shard:
        kwargs["max_shard_size"] = shard
    model.to(dtype).save_pretrained(path, **kwargs)
    tok.save(os.path.join(path, "tokenizer.json"))
    with open(os.path.join(path, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "Qwen2Tokenizer", "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                   "bos_token": None, "model_max_length": 256, "clean_up_tokenization_spaces": False}, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab-size", type=int, default=1000)
    args = ap.parse_args()
    torch.manual_seed(0)
    rng = random.Random(0)
    torch.set_num_threads(1)

    tok = make_tokenizer(rng, args.vocab_size)
    for t in SPECIAL + ADDED:
        SPECIAL_IDS[t] = tok.token_to_id(t)
    vocab = tok.get_vocab_size(with_added_tokens=True)
    pad_id, eos_id = SPECIAL_IDS["<|endoftext|>"], SPECIAL_IDS["<|im_end|>"]
    versions = {"torch": torch.__version__, "transformers": transformers.__version__,
                "tokenizers": tokenizers.__version__}

    variants = [("qwen2-tiny", False, torch.float32, None), ("qwen2-tiny-tied", True, torch.bfloat16, None),
                ("qwen2-tiny-sharded", False, torch.float32, "100KB")]
    for name, tied, dtype, shard in variants:
        config = config_for(vocab, tied)
        torch.manual_seed(0)
        model = Qwen2ForCausalLM(config).eval()
        randomize(model, seed=1)
        path = os.path.join(args.out, name)
        write_model_dir(path, model, tok, config, dtype, shard)
        # The reference runs on the weights as stored (bf16 ones upcast), in f32.
        ref = Qwen2ForCausalLM.from_pretrained(path, attn_implementation="eager").float().eval()
        tensors = forward_cases(ref, tok, pad_id)
        save_file(tensors, os.path.join(path, "fixtures.safetensors"))
        fixtures = {"versions": versions, "stored_dtype": str(dtype).replace("torch.", ""),
                    "forward": {"file": "fixtures.safetensors",
                                "tensors": {k: list(v.shape) for k, v in tensors.items()},
                                "note": "logits are f32 for every position; compare where attention_mask is 1"},
                    "greedy": greedy_cases(ref, tok, pad_id, eos_id),
                    "special_ids": SPECIAL_IDS}
        with open(os.path.join(path, "fixtures.json"), "w") as f:
            json.dump(fixtures, f, indent=1, ensure_ascii=False)
        if name == "qwen2-tiny":
            with open(os.path.join(path, "tokenizer_cases.json"), "w") as f:
                json.dump({"versions": versions, "cases": tokenizer_cases(tok)}, f, indent=1, ensure_ascii=False)
    print(json.dumps({"vocab": vocab, **versions}))


if __name__ == "__main__":
    main()
