set -u
nvidia-smi --query-gpu=name --format=csv,noheader
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" -DCMAKE_CUDA_ARCHITECTURES=90a > /tmp/cfg.log 2>&1 || tail -20 /tmp/cfg.log
( time cmake --build build-gpu -j 16 --target linvideo linvideo_golden_tests -- -k 0 ) > /tmp/b.log 2>&1 || { grep -E "error" -A3 /tmp/b.log | head -40; exit 1; }
tail -3 /tmp/b.log | tee $OUT/build.txt
export LINVIDEO_GOLDEN_DIR=$PWD/shared/golden
build-gpu/tests/linvideo_golden_tests --gtest_brief=1 --gtest_filter='Vae.*:Dit.Cuda*' 2>&1 | tail -4 | tee $OUT/golden.txt
b=build-gpu/app/linvideo
for s in auto cudnn; do LINVIDEO_SDPA=$s timeout 40 $b bench attention --no-backward --repeats 10 --warmup 2 2>&1 | grep -E "^sdpa|linear-fused|not run|rror|LINVIDEO" | tee -a $OUT/sdpa.txt; done
timeout 60 $b generate --random-model 1.3B --random-text -p "a red circle" --steps 4 --guidance 1 --linear 2-8,10-13,15-16,23,25,30 --out /tmp/x.y4m 2>&1 | grep -E "^(sampling|decode|total)|policy|DiT cuda" | tee $OUT/gen.txt
