#!/usr/bin/env bash
# Quick start 2: install what is missing, build, and run every test (ctest), then fuzz the
# checkpoint parser, the torch.save reader, the clip tag reader, the DiT config parser, the tokenizer
# loader and the model/run folder JSON readers briefly with libFuzzer + AddressSanitizer + UBSan.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/packaging/deps.sh"
"$root/packaging/check-sources.sh"
linvideo_install_deps
# LINVIDEO_SANITIZE=1: the whole suite on an AddressSanitizer + UBSan build (build-asan/; about
# 17 minutes cold on 2 cores, the tests 5 more). CI (CI=true) runs that build instead of the
# release one, so every test runs sanitized there; LINVIDEO_SANITIZE=0 asks for the release build.
# See docs/reliability.md.
if [ "${CI:-}" = true ] && [ -z "${LINVIDEO_SANITIZE:-}" ]; then
  LINVIDEO_SANITIZE=1
fi
if [ "${LINVIDEO_SANITIZE:-0}" = 1 ]; then
  export LINVIDEO_BUILD_DIR="${LINVIDEO_BUILD_DIR:-$root/build-asan}"
  export LINVIDEO_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLINVIDEO_ASAN=ON ${LINVIDEO_CMAKE_ARGS:-}"
  # LibTorch, Qt and FFmpeg are not instrumented: ODR and container-overflow reports across their
  # boundary are not ours. Everything else stops the test.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0:detect_container_overflow=0:detect_leaks=0}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
linvideo_build
build="${LINVIDEO_BUILD_DIR:-$root/build}"
export LINVIDEO_GOLDEN_DIR="${LINVIDEO_GOLDEN_DIR:-$root/../shared/golden}"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"

# libFuzzer over the safetensors header parser (no LibTorch; seconds to build with clang).
fuzz_build="$root/build-fuzz"
if [ ! -f "$fuzz_build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$fuzz_build" -G Ninja -DLINVIDEO_FUZZ_ONLY=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
fi
cmake --build "$fuzz_build" -j "$(nproc)"
corpus="$fuzz_build/corpus"
mkdir -p "$corpus"
cp -n "$LINVIDEO_GOLDEN_DIR"/dit_tiny.io.safetensors "$corpus/" 2>/dev/null || true
"$fuzz_build/tests/fuzz/fuzz_safetensors_header" -max_total_time="${LINVIDEO_FUZZ_SECONDS:-30}" \
  -max_len=4096 -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
# libFuzzer over the torch.save reader (issue 18: the zip directory and the pickle machine), seeded
# with archives in torch.save's and LibTorch's layouts (tests/fuzz/seeds/torch_archive).
pth_corpus="$fuzz_build/corpus-pth"
mkdir -p "$pth_corpus"
cp -n "$root"/tests/fuzz/seeds/torch_archive/*.pth "$pth_corpus/"
"$fuzz_build/tests/fuzz/fuzz_torch_archive" -max_total_time="${LINVIDEO_FUZZ_SECONDS:-30}" \
  -max_len=4096 -print_final_stats=1 "$pth_corpus" 2>&1 | tail -n 12
# libFuzzer over the clip tag reader (issue 18), seeded with a tag the engine writes.
tag_corpus="$fuzz_build/corpus-tag"
mkdir -p "$tag_corpus"
printf '{"version":1,"prompt":"a cat","seed":3,"steps":4,"guidance":5.0,"shift":3.0,"sampler":"unipc","attention_modes":["linear","softmax"]}' \
  > "$tag_corpus/tag.json"
"$fuzz_build/tests/fuzz/fuzz_generation_tag" -max_total_time="${LINVIDEO_FUZZ_SECONDS:-30}" \
  -max_len=4096 -print_final_stats=1 "$tag_corpus" 2>&1 | tail -n 12
# libFuzzer over the DiT config.json parser (issue 18), seeded with the shipped model's config.
dit_corpus="$fuzz_build/corpus-dit-config"
mkdir -p "$dit_corpus"
cp -n "$root/resources/models/shapes/transformer/config.json" "$dit_corpus/shapes.json" 2>/dev/null || true
"$fuzz_build/tests/fuzz/fuzz_dit_config" -max_total_time="${LINVIDEO_FUZZ_SECONDS:-30}" \
  -max_len=4096 -print_final_stats=1 "$dit_corpus" 2>&1 | tail -n 12
# libFuzzer over the tokenizer loader (issue 18), seeded with two small models trained here: one
# with the identity normaliser, one with a five-rule character map (the NFKC map is 240 KB).
spm_corpus="$fuzz_build/corpus-spm"
mkdir -p "$spm_corpus"
if [ ! -f "$spm_corpus/rules.model" ] && command -v spm_train > /dev/null; then
  for i in $(seq 1 200); do echo "a cat sits on the red mat, two dogs run across a green field at night"; done \
    > "$fuzz_build/spm-corpus.txt"
  printf '41\t61\n42\t62\nFF21\t61\n2160\t49\n2163\t49 56\n' > "$fuzz_build/spm-rules.tsv"
  spm_train --input="$fuzz_build/spm-corpus.txt" --model_prefix="$fuzz_build/spm-identity" --vocab_size=40 \
    --hard_vocab_limit=false --normalization_rule_name=identity > /dev/null 2>&1 \
    && cp "$fuzz_build/spm-identity.model" "$spm_corpus/identity.model"
  spm_train --input="$fuzz_build/spm-corpus.txt" --model_prefix="$fuzz_build/spm-rules" --vocab_size=40 \
    --hard_vocab_limit=false --normalization_rule_tsv="$fuzz_build/spm-rules.tsv" > /dev/null 2>&1 \
    && cp "$fuzz_build/spm-rules.model" "$spm_corpus/rules.model"
fi
"$fuzz_build/tests/fuzz/fuzz_sentencepiece_model" -max_total_time="${LINVIDEO_FUZZ_SECONDS:-30}" \
  -max_len=8192 -print_final_stats=1 "$spm_corpus" 2>&1 | tail -n 12
# libFuzzer over the JSON readers of model and run folders (issue 18); the first byte picks the
# reader: 0 model_index.json, 1 progress.json, 2 a cache's index.json, 3 a sidecar manifest,
# 4 a VAE config, 5 a umT5 config, 6 a layer mask file, 7 a layer list.
json_corpus="$fuzz_build/corpus-json"
mkdir -p "$json_corpus"
{ printf '\x00'; cat "$root/resources/models/shapes/model_index.json"; } > "$json_corpus/model_index"
printf '\x01{"step":8,"checkpoint":"step-000008","info":{"loss":"0.5"},"previous":{"step":4,"checkpoint":"step-000004"}}' \
  > "$json_corpus/progress"
printf '\x02{"format":"linvideo-trajectory-cache","version":1,"settings":{"steps":4,"guidance":5.0},"shards":[{"job":0,"file":"shard-000000.safetensors","prompt":"a cat","seed":1,"states":4,"bytes":100}]}' \
  > "$json_corpus/cache_index"
{ printf '\x03'; cat "$root/resources/models/shapes/shapes.linvideo.safetensors.json"; } > "$json_corpus/sidecar"
{ printf '\x04'; cat "$root/resources/models/shapes/vae/config.json"; } > "$json_corpus/vae_config"
{ printf '\x05'; cat "$root/resources/models/shapes/text_encoder/config.json"; } > "$json_corpus/umt5_config"
printf '\x06{"format":"linvideo-layer-mask","num_layers":30,"linear":[2,3,4,10]}' > "$json_corpus/layer_mask"
printf '\x072-8,10-13,30' > "$json_corpus/layer_list"
"$fuzz_build/tests/fuzz/fuzz_json_readers" -max_total_time="${LINVIDEO_FUZZ_SECONDS:-30}" \
  -max_len=4096 -print_final_stats=1 "$json_corpus" 2>&1 | tail -n 12
echo "test.sh: all tests passed"
