#!/usr/bin/env bash
# Runs on a lent GPU machine (NVIDIA driver and Vulkan ICD, no Node, no network): unpacks the
# Node binary, the Vulkan/GL loader libraries and the packed benchmark carried in .gpu/ (see
# scripts/gpu/pack.mjs and docs/gpu.md), then measures WebGPU training throughput.
# Results go to $OUT/bench.jsonl.
set -u
assets="$(cd "$(dirname "$0")/../.." && pwd)/.gpu"
mkdir -p /tmp/gpu/bin /tmp/gpu/app
xz -dc "$assets/node.xz" > /tmp/gpu/bin/node && chmod +x /tmp/gpu/bin/node
export PATH=/tmp/gpu/bin:$PATH XDG_RUNTIME_DIR=/tmp
for f in "$assets"/debs/*.deb; do dpkg -x "$f" /; done
ldconfig
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
tar -xJf "$assets/app.tar.xz" -C /tmp/gpu/app
cd /tmp/gpu/app
bench() { timeout "$1" node throughput.mjs --backend webgpu --json "${@:2}" 2>&1 | tee -a "$OUT/bench.jsonl"; }
bench 240 --variant b0,tiny,nano --input-size 64 --batch 16,64 --steps 5
bench 200 --variant b0 --input-size 224 --batch 16,32 --steps 3
