#!/usr/bin/env bash
# Runs on a lent GPU machine (NVIDIA driver and Vulkan ICD, no Node, no network): unpacks the
# Node binary, the Vulkan/GL loader libraries and the packed benchmark carried in .gpu/ (see
# scripts/gpu/pack.mjs and docs/gpu.md), then measures WebGPU training throughput with the
# project's filter-gradient kernels and with tfjs-backend-webgpu's own, and profiles a step.
# Then the same benchmark on the machine's CPU cores, for the scaling table of replicas.
# Results go to $OUT: bench.jsonl (one row per shape), profile.txt, cpu.jsonl, gpu.txt.
# Each step has its own timeout; together at most 590 s, under the device's 600 s per call.
set -u
assets="$(cd "$(dirname "$0")/../.." && pwd)/.gpu"
mkdir -p /tmp/gpu/bin /tmp/gpu/app
if [ -f "$assets/node.xz" ]; then xz -dc "$assets/node.xz" > /tmp/gpu/bin/node && chmod +x /tmp/gpu/bin/node; fi
export PATH=/tmp/gpu/bin:$PATH XDG_RUNTIME_DIR=/tmp
for f in "$assets"/debs/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done
ldconfig 2>/dev/null
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "no nvidia-smi"; } | tee "$OUT/gpu.txt"
tar -xJf "$assets/app.tar.xz" -C /tmp/gpu/app
cd /tmp/gpu/app
bench() { timeout "$1" node bin/throughput.mjs --backend "$2" "${@:3}" 2>&1; }
# The figures: B0 at 64 px (target 1,150 img/s) and 224 px (target 500), project kernels first.
bench 150 webgpu --json --variant b0 --input-size 64 --batch 32,64,128 --steps 4 | tee -a "$OUT/bench.jsonl"
bench 120 webgpu --json --variant b0 --input-size 224 --batch 32,64 --steps 3 | tee -a "$OUT/bench.jsonl"
# tfjs-backend-webgpu's own kernels on the same shapes, for the gain.
bench 80 webgpu --json --variant b0 --input-size 64 --batch 64 --steps 3 --tfjs-webgpu-kernels | tee -a "$OUT/bench.jsonl"
bench 80 webgpu --json --variant b0 --input-size 224 --batch 32 --steps 2 --tfjs-webgpu-kernels | tee -a "$OUT/bench.jsonl"
# Where the time of a step goes now (timestamp queries where the adapter has them).
bench 60 webgpu --variant b0 --input-size 64 --batch 64 --steps 2 --profile | tee "$OUT/profile.txt"
# Replicas on the CPU cores (wasm), 1 to 15 workers.
bench 100 wasm --json --variant b0 --input-size 64 --batch 32 --workers 0,1,2,4,8,15 --steps 3 | tee -a "$OUT/cpu.jsonl"
