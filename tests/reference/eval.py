"""Evaluates a memscope checkpoint on a file with memscope's eval semantics.

Usage: /usr/bin/python3 tests/reference/eval.py --load CKPT --data FILE [--threads N] [--json] [--double]

The whole file is ONE stream (batch 1), encoded with the checkpoint's vocabulary. Positions 0..N-2
each predict the next byte; segment k covers inputs [kQ, min(kQ+Q, N-1)) (the last one may be
shorter) and memory is carried and compressed after every segment. Prints
"ce X bpc Y ar Z": CE = mean over all N-1 predictions (natural log), bpc = CE / ln 2,
AR = mean, over the segments that compressed, of the AR loss summed over layers (0 if none did).
"""

import argparse
import json
import math
import os
import sys


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--load", required=True, help="checkpoint (.safetensors)")
    ap.add_argument("--data", required=True, help="text file to evaluate")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print one JSON line instead")
    ap.add_argument("--double", action="store_true", help="compute in float64")
    return ap.parse_args()


def evaluate(net, ids):
    """ids: int64 tensor of the whole stream. Returns (ce, ar, segments, compressing segments)."""
    import torch
    import torch.nn.functional as F
    n, Q = len(ids), net.cfg.seq_len
    mem = c_mem = None
    ce_sum, ar_sum, ar_segments, segments = 0.0, 0.0, 0, 0
    with torch.no_grad():
        for start in range(0, n - 1, Q):
            end = min(start + Q, n - 1)
            x = ids[start:end].unsqueeze(0)
            y = ids[start + 1:end + 1].unsqueeze(0)
            logits, new_mem = net(x, mem, c_mem)
            ce_sum += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                      reduction="sum").item()
            mem, c_mem, to_compress = net.merge_compress(mem, c_mem, new_mem)
            if to_compress is not None:
                ar_sum += net.ar_loss(new_mem, to_compress).sum().item()
                ar_segments += 1
            segments += 1
    return ce_sum / (n - 1), (ar_sum / ar_segments if ar_segments else 0.0), segments, ar_segments


def main():
    args = parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    import torch
    import model as M

    torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.double else torch.float32
    try:
        net, vocab, _ = M.load_checkpoint(args.load, dtype=dtype)
    except (OSError, ValueError, KeyError) as e:
        print(f"eval: {e}", file=sys.stderr)
        return 1
    net.eval()
    with open(args.data, "rb") as f:
        raw = f.read()
    lut = [-1] * 256
    for i, b in enumerate(vocab):
        lut[b] = i
    ids = [lut[b] for b in raw]
    if -1 in ids:
        pos = ids.index(-1)
        print(f"eval: {args.data}: byte 0x{raw[pos]:02x} at offset {pos} is not in the "
              f"checkpoint's vocabulary", file=sys.stderr)
        return 1
    n = len(ids)
    if n < 2:
        print(f"eval: {args.data}: needs at least 2 bytes", file=sys.stderr)
        return 1
    ids = torch.tensor(ids, dtype=torch.int64)

    ce, ar, segments, ar_segments = evaluate(net, ids)
    bpc = ce / math.log(2)
    if args.json:
        print(json.dumps({"ce": round(ce, 6), "bpc": round(bpc, 6), "ar": round(ar, 6),
                          "predictions": n - 1, "segments": segments,
                          "compressing_segments": ar_segments}))
    else:
        print(f"ce {ce:.6f} bpc {bpc:.6f} ar {ar:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
