#!/usr/bin/env bash
# Trains the embedded shapes model on the GPU machine in one go (see docs/shapes.md):
# VAE, then the DiT teacher on the frozen VAE, then export. The tokenizer and the frozen text
# encoder are made on any machine first (`linvideo pretrain tokenizer|text`) and live in
# resources/models/shapes/. Usage: VAE_MINUTES=3 DIT_MINUTES=4.5 packaging/train-shapes.sh
# Knobs (env): INIT, VAE_STEPS, VAE_MINUTES, VAE_BATCH, VAE_LR, VAE_CLIP_FRAMES, VAE_FG, VAE_EDGE,
# DIT_MINUTES, DIT_BATCH, DIT_LR, DIT_POOL.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/train-out}"
run="${RUN_DIR:-/tmp/shapes-run}"
mkdir -p "$out" "$run"
cd "$root"
if [ ! -x build-gpu/app/linvideo ]; then
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DLINVIDEO_BUILD_TESTS=OFF \
    -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" \
    -DCMAKE_CUDA_ARCHITECTURES=90a > /tmp/configure.log 2>&1 || { tail -20 /tmp/configure.log; exit 1; }
  cmake --build build-gpu -j "$(nproc)" --target linvideo > /tmp/build.log 2>&1 || { grep error /tmp/build.log | head; exit 1; }
fi
L=build-gpu/app/linvideo
R=resources/models/shapes
nvidia-smi --query-gpu=name --format=csv,noheader
init=()
[ -n "${INIT:-}" ] && init=(--init "$INIT")
$L pretrain vae --dir "$run/vae" "${init[@]}" --device cuda --steps "${VAE_STEPS:-1000000}" --batch "${VAE_BATCH:-8}" --lr "${VAE_LR:-3e-4}" \
  --clip-frames "${VAE_CLIP_FRAMES:-0}" --foreground-weight "${VAE_FG:-20}" --edge-weight "${VAE_EDGE:-1}" \
  --max-minutes "${VAE_MINUTES:-3}" --log-every 100 --checkpoint-every 1000 2>&1 | tee "$out/vae.log" | tail -n 3
$L pretrain dit --dir "$run/dit" "${init[@]}" --vae-run "$run/vae" --text $R/text_encoder --tokenizer $R/tokenizer/spiece.model \
  --device cuda --steps 1000000 --batch "${DIT_BATCH:-32}" --lr "${DIT_LR:-3e-4}" --max-minutes "${DIT_MINUTES:-4.5}" \
  --latent-pool "${DIT_POOL:-0}" \
  --log-every 200 --checkpoint-every 2000 2>&1 | tee "$out/dit.log" | tail -n 3
$L pretrain export --out "$run/model" --vae-run "$run/vae" --dit-run "$run/dit" --text $R/text_encoder \
  --tokenizer $R/tokenizer/spiece.model
cp "$run/model/transformer/diffusion_pytorch_model.safetensors" "$out/transformer.safetensors"
cp "$run/model/transformer/config.json" "$out/transformer_config.json"
cp "$run/model/vae/diffusion_pytorch_model.safetensors" "$out/vae.safetensors"
cp "$run/model/vae/config.json" "$out/vae_config.json"
ls -la "$out"
