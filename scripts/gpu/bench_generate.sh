#!/usr/bin/env bash
# Run ON THE GPU MACHINE from the repository root, with .deps carried (scripts/gpu/pack_deps.sh made it):
#   1. builds the model layer alone (CR1_MODEL_ONLY: no LLVM) against pip's torch (CUDA),
#   2. runs model_tests (fixture parity on CPU and, there, on CUDA),
#   3. checks that our checkpoint loads in transformers and that greedy output agrees in f32 on CUDA,
#   4. benchmarks generation: a ~100M-parameter Qwen2 at batch 64 in bf16, ours vs transformers'
#      generate, and vs the eager reference on the same GPU.
# Results go to $OUT (the device tool's output folder) or /tmp/cr1-gpu-out.
set -uo pipefail
OUT=${OUT:-/tmp/cr1-gpu-out}
mkdir -p "$OUT"
B=/tmp/cr1-model-build
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
{
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
  python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
} 2>&1 | tee "$OUT/env.txt"

t0=$(date +%s)
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCR1_MODEL_ONLY=ON -DCR1_DEPS_DIR="$PWD/.deps" \
  -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" > "$OUT/build.txt" 2>&1 &&
  ninja -C "$B" model_tests model_generate >> "$OUT/build.txt" 2>&1
rc=$?
echo "build: rc=$rc in $(( $(date +%s) - t0 )) s" | tee -a "$OUT/env.txt"
if [ $rc -ne 0 ]; then tail -40 "$OUT/build.txt"; exit 1; fi

"$B/model_tests" 2>&1 | tail -60 > "$OUT/model_tests.txt"
tail -3 "$OUT/model_tests.txt"

GEN="$B/bench/model_generate"
# ~100M parameters: 12 layers, hidden 768, 12 heads over 4 KV heads, intermediate 2048, vocab 8192.
BIG=(--layers 12 --hidden 768 --heads 12 --kv-heads 4 --intermediate 2048 --vocab 8192 --threads 16)

# Loadable by transformers and the same greedy tokens in f32 (CUDA, both sides).
"$GEN" "${BIG[@]}" --device cuda --dtype f32 --batch 4 --prompt-len 64 --new-tokens 64 --runs 1 --modes greedy \
  --python python3 --reference scripts/gpu/hf_generate.py --work-dir /tmp/cr1-bench-f32 2>&1 | tee "$OUT/parity_f32_cuda.md"

# The benchmark: batch 64, bf16, 128-token prompts, 256 new tokens; vs transformers' generate.
"$GEN" "${BIG[@]}" --device cuda --dtype bf16 --batch 1,64 --prompt-len 128 --new-tokens 256 --runs 3 \
  --modes greedy,sample --python python3 --reference scripts/gpu/hf_generate.py --work-dir /tmp/cr1-bench-bf16 \
  2>&1 | tee "$OUT/bench_vs_transformers.md"
# The same against the eager PyTorch reference on the same GPU.
"$GEN" "${BIG[@]}" --device cuda --dtype bf16 --batch 64 --prompt-len 128 --new-tokens 256 --runs 3 \
  --modes greedy --python python3 --work-dir /tmp/cr1-bench-bf16 2>&1 | tee "$OUT/bench_vs_eager.md"
