"""The reference trainer: trains the PyTorch port on a text file exactly as model.md describes, for
speed comparisons with memscope and for calibrating its CE.

Usage: /usr/bin/python3 tests/reference/train.py --data FILE [--preset labml|default] [--set k=v ...]
       [--steps N | --epochs N] [--threads N] [--blas-threads N] [--seed S] [--save CKPT]
       [--valid] [--double]

Prints progress lines, then one JSON line: {"tokens_per_s": ..., "steps": ..., "valid_ce": ...}.
tokens/s counts B*Q tokens per step and is measured from the end of step 20 to the end of training.
"""

import argparse
import json
import os
import sys
import time

PRESETS = {
    "labml": dict(d_model=128, n_heads=4, n_layers=6, d_ff=256, seq_len=8, batch_size=32, mem_len=8,
                  c_mem_len=128, compression_rate=2, lr=2.5e-4, warmup=2000, clip=1.0),
    "default": dict(d_model=256, n_heads=4, n_layers=4, d_ff=1024, seq_len=32, batch_size=16,
                    mem_len=32, c_mem_len=64, compression_rate=4, lr=1e-3, warmup=400, clip=1.0),
}
FLOAT_KEYS = ("lr", "clip")
WARMUP_STEPS = 20          # steps excluded from the tokens/s figure


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="labml")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config key: " + ", ".join(PRESETS["labml"]))
    run = ap.add_mutually_exclusive_group()
    run.add_argument("--steps", type=int, help="optimizer steps (default: one epoch)")
    run.add_argument("--epochs", type=int)
    ap.add_argument("--threads", type=int, default=1,
                    help="OMP_NUM_THREADS and (unless --blas-threads) OPENBLAS_NUM_THREADS")
    ap.add_argument("--blas-threads", type=int,
                    help="OPENBLAS_NUM_THREADS when it should differ from --threads (with torch's "
                         "OpenMP threads and OpenBLAS's both at 2 they fight over 2 cores)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save", metavar="CKPT", help="write a weights-only checkpoint at the end")
    ap.add_argument("--valid", action="store_true",
                    help="at the end, CE over the whole validation split (fresh memory, batch B)")
    ap.add_argument("--double", action="store_true", help="train in float64")
    ap.add_argument("--log-every", type=int, default=100)
    args = ap.parse_args()
    cfg = dict(PRESETS[args.preset])
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or key not in cfg:
            ap.error(f"--set {item}: expected KEY=VALUE with KEY one of {', '.join(cfg)}")
        try:
            cfg[key] = float(value) if key in FLOAT_KEYS else int(value)
        except ValueError:
            ap.error(f"--set {item}: bad value")
    args.cfg = cfg
    return args


def main():
    args = parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    blas_threads = args.blas_threads if args.blas_threads is not None else args.threads
    os.environ["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    import torch
    import model as M

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dtype = torch.float64 if args.double else torch.float32
    c = args.cfg
    B, Q = c["batch_size"], c["seq_len"]

    # ---- data: vocabulary of the whole file, 90/10 split, B contiguous streams ----
    with open(args.data, "rb") as f:
        raw = f.read()
    if len(raw) < 2:
        print(f"train: {args.data}: too short", file=sys.stderr)
        return 1
    vocab = sorted(set(raw))
    lut = torch.full((256,), -1, dtype=torch.int64)
    lut[torch.tensor(vocab)] = torch.arange(len(vocab))
    ids = lut[torch.frombuffer(bytearray(raw), dtype=torch.uint8).long()]
    n_train = (len(ids) * 9) // 10

    def streams(x):
        per = len(x) // B
        return x[:per * B].view(B, per)

    train, valid = streams(ids[:n_train]), streams(ids[n_train:])
    steps_per_epoch = (train.shape[1] - 1) // Q
    if steps_per_epoch < 1:
        print("train: the training split is too short for one step", file=sys.stderr)
        return 1
    total = args.steps if args.steps is not None else (args.epochs or 1) * steps_per_epoch

    cfg = M.ModelConfig(vocab_size=len(vocab), **{k: c[k] for k in M.MODEL_KEYS})
    net = M.CompressiveTransformer(cfg, dtype=dtype)
    opt = M.AdamWarmup(net.parameters(), lr=c["lr"], warmup=c["warmup"])
    n_params = sum(p.numel() for p in net.parameters())
    print(f"vocab {len(vocab)}, train {n_train} chars, valid {len(ids) - n_train} chars, "
          f"{steps_per_epoch} steps/epoch, {n_params} parameters, {args.threads} thread(s), "
          f"{blas_threads} BLAS thread(s)")
    print("config " + " ".join(f"{k}={v}" for k, v in c.items()))

    mem = c_mem = None
    t_start = None
    ce_window, ar_window = [], []
    for step in range(total):
        k = step % steps_per_epoch
        if k == 0:
            mem = c_mem = None            # memory reset at each epoch start
        x = train[:, k * Q:k * Q + Q]
        y = train[:, k * Q + 1:k * Q + Q + 1]
        opt.zero_grad()
        loss, ce, ar, _, mem, c_mem, _ = M.segment_loss(net, x, y, mem, c_mem)
        loss.backward()
        norm, _ = M.grad_norm_and_clip(opt.params, c["clip"])
        opt.step()
        ce_window.append(ce.item())
        ar_window.append(ar.sum().item())
        if step + 1 == WARMUP_STEPS:
            t_start = time.perf_counter()
        if (step + 1) % args.log_every == 0 or step + 1 == total:
            print(f"step {step + 1}: ce {sum(ce_window) / len(ce_window):.4f} "
                  f"ar {sum(ar_window) / len(ar_window):.4f} grad_norm {norm:.3f} "
                  f"lr {opt.lr_at(step + 1):.3e}", flush=True)
            ce_window, ar_window = [], []
    tokens_per_s = None
    if t_start is not None and total > WARMUP_STEPS:
        tokens_per_s = (total - WARMUP_STEPS) * B * Q / (time.perf_counter() - t_start)
        print(f"tokens/s {tokens_per_s:.1f} (steps {WARMUP_STEPS + 1}..{total}, "
              f"{args.threads} thread(s))")

    valid_ce = None
    if args.valid:
        valid_ce = validate(torch, M, net, valid, Q)
        if valid_ce is None:
            print("valid: the validation split is too short for one batch")
        else:
            print(f"valid ce {valid_ce:.4f} ({(valid.shape[1] - 1) // Q} batches)")
    if args.save:
        M.save_checkpoint(args.save, net, vocab,
                          {"batch_size": B, "lr": c["lr"], "warmup": c["warmup"], "clip": c["clip"],
                           "seed": args.seed, "step": total})
        print(f"saved {args.save}")
    print(json.dumps({"tokens_per_s": None if tokens_per_s is None else round(tokens_per_s, 1),
                      "steps": total, "valid_ce": None if valid_ce is None else round(valid_ce, 6)}))
    return 0


def validate(torch, M, net, valid, Q):
    """Mean CE over every validation batch, with its own fresh memory."""
    n_batches = (valid.shape[1] - 1) // Q
    if n_batches < 1:
        return None
    mem = c_mem = None
    total = 0.0
    with torch.no_grad():
        for k in range(n_batches):
            x = valid[:, k * Q:k * Q + Q]
            y = valid[:, k * Q + 1:k * Q + Q + 1]
            logits, new_mem = net(x, mem, c_mem)
            total += torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item()
            mem, c_mem, _ = net.merge_compress(mem, c_mem, new_mem)
    return total / n_batches


if __name__ == "__main__":
    sys.exit(main())
