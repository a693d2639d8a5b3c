"""make bench-compare: memscope's benchmark, then the PyTorch port (tests/reference/train.py) on the same
presets, data and thread counts, and the ratios at each side's best thread setting.

Runs with /usr/bin/python3 (Debian's python3-torch); memscope itself needs no torch. The port is started
once per preset and thread count with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set before torch loads
(Debian's torch does its matmuls through OpenBLAS, which ignores torch.set_num_threads).
"""
import json
import os
import subprocess
import sys

LARGE = dict(d_model=512, n_heads=8, n_layers=8, d_ff=2048, seq_len=128, batch_size=8, mem_len=128,
             c_mem_len=128, compression_rate=4)
# warm-up (excluded by train.py: 20 steps) plus timed steps per preset
STEPS = {"labml": 120, "default": 60, "large": 26}


def port_speed(data, preset, threads):
    base = "labml" if preset == "large" else preset
    cmd = ["/usr/bin/python3", "tests/reference/train.py", "--data", data, "--preset", base,
           "--steps", str(STEPS[preset]), "--threads", str(threads), "--log-every", "100000"]
    if preset == "large":
        for key, value in LARGE.items():
            cmd += ["--set", f"{key}={value}"]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["tokens_per_s"]


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "data/tinyshakespeare.txt"
    ours = json.loads(subprocess.run(["build/memscope", "bench", "--json", "--data", data],
                                     capture_output=True, text=True, check=True).stdout)
    best = {}
    print(f"{'preset':8} {'threads':>7} {'memscope tok/s':>15} {'PyTorch tok/s':>14} {'ratio':>7}")
    for row in ours["train"]:
        theirs = port_speed(data, row["preset"], row["threads"])
        print(f"{row['preset']:8} {row['threads']:7d} {row['tokens_per_s']:15.0f} {theirs:14.0f} "
              f"{row['tokens_per_s'] / theirs:6.2f}x", flush=True)
        mine, port = best.get(row["preset"], ((0, 0), (0, 0)))
        best[row["preset"]] = (max(mine, (row["tokens_per_s"], row["threads"])),
                               max(port, (theirs, row["threads"])))
    print("\nat each side's best thread count:")
    for preset, ((mine, mt), (port, pt)) in best.items():
        print(f"{preset:8} memscope {mine:8.0f} ({mt} threads)  PyTorch {port:8.0f} ({pt} threads)  "
              f"{mine / port:5.2f}x")
    print(f"\ngeneration: {ours['sample_chars_per_s']:.0f} characters/s cached, "
          f"{ours['sample_recompute_chars_per_s']:.0f} recomputing every slot")


if __name__ == "__main__":
    main()
