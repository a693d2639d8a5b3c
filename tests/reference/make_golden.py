"""Writes OUTDIR/tiny.safetensors: a tiny model, its data and the reference numbers for memscope's
C tests, computed in float64 by the PyTorch port (model.py) and stored as float32.

Usage: /usr/bin/python3 tests/reference/make_golden.py OUTDIR [--threads N] [--grad-segments G]

--grad-segments G stores seg{k}.grad.* for k < G only (default 3; 6 stores them all).

Besides writing the file it checks the port itself (naive attention loop, causality, fresh memory
at segment 0, gradcheck, clip behaviour, safetensors round trip) and prints a short summary.
"""

import argparse
import os
import sys

# ---- the tiny configuration ----
SEED = 1234
VOCAB = " ,.aehilnst"        # 11 distinct printable ASCII characters in ascending order
D_MODEL, N_HEADS, N_LAYERS, D_FF = 16, 2, 2, 24
SEQ_LEN, MEM_LEN, C_MEM_LEN, RATE = 3, 4, 3, 2
BATCH, N_SEGMENTS = 2, 6
GRAD_SEGMENTS = 3             # seg{k}.grad.* only for k < 3 by default: ~140 KB instead of ~220 KB
LR, WARMUP, CLIP = 1e-2, 3, 2.9


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--grad-segments", type=int, default=GRAD_SEGMENTS,
                    help=f"store seg{{k}}.grad.* for k < G (default {GRAD_SEGMENTS}, at most "
                         f"{N_SEGMENTS})")
    args = ap.parse_args()
    if not 0 <= args.grad_segments <= N_SEGMENTS:
        ap.error(f"--grad-segments must be in 0..{N_SEGMENTS}")
    return args


def main():
    args = parse_args()
    n_grad = args.grad_segments
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    import torch
    import torch.nn as nn
    import model as M

    torch.set_num_threads(args.threads)
    f64 = torch.float64
    checks = []

    assert list(VOCAB) == sorted(set(VOCAB)) and len(VOCAB) == 11
    V, B, Q, S = len(VOCAB), BATCH, SEQ_LEN, N_SEGMENTS
    cfg = M.ModelConfig(vocab_size=V, d_model=D_MODEL, n_heads=N_HEADS, n_layers=N_LAYERS,
                        d_ff=D_FF, seq_len=SEQ_LEN, mem_len=MEM_LEN, c_mem_len=C_MEM_LEN,
                        compression_rate=RATE)

    # ---- initial weights: defaults, then make every path non-trivial ----
    torch.manual_seed(SEED)
    net = M.CompressiveTransformer(cfg, dtype=f64)
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(1 + 0.1 * torch.randn_like(mod.weight))
                mod.bias.copy_(0.1 * torch.randn_like(mod.bias))
            if isinstance(mod, M.RelativeAttention):
                for p in (mod.rel_key, mod.rel_bias, mod.content_bias):
                    p.copy_(0.3 * torch.randn_like(p))
        # the C side reads float32 weights: compute from exactly those values
        for p in net.parameters():
            p.copy_(p.float().double())
    init_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    tokens = torch.randint(0, V, (B, S * Q + 1))

    def seg(k):
        return tokens[:, k * Q:k * Q + Q], tokens[:, k * Q + 1:k * Q + Q + 1]

    # ---- Part 1 and Part 2 in float64 (the golden numbers) ----
    out, mem_before, clipped, norms = {}, {}, [], []
    part1(torch, M, net, seg, out, mem_before, n_grad, verbose=True)
    net.load_state_dict(init_state)
    part2(torch, M, net, seg, out, clipped, norms, verbose=True)
    net.load_state_dict(init_state)
    assert abs(out["train.loss"][0] - out["seg0.ce"][0] - out["seg0.ar"].sum()) < 1e-12
    assert any(clipped) and not all(clipped), "the clip must trigger on some steps, not all"
    margin = min(abs(v - CLIP) / CLIP for v in norms)
    assert margin > 0.02, "a grad norm is too close to the clip threshold"
    checks.append(f"clip {CLIP}: triggered on steps {[i for i, c in enumerate(clipped) if c]}, "
                  f"not on {[i for i, c in enumerate(clipped) if not c]} "
                  f"(grad norms {', '.join(f'{v:.3f}' for v in norms)}; "
                  f"every norm at least {100 * margin:.1f}% away from the threshold)")

    # ---- the same run in float32, to show the C tests what float32 error to expect ----
    net32 = M.CompressiveTransformer(cfg, dtype=torch.float32)
    net32.load_state_dict({k: v.float() for k, v in init_state.items()})
    out32 = {}
    part1(torch, M, net32, seg, out32, {}, n_grad, verbose=False)
    net32.load_state_dict({k: v.float() for k, v in init_state.items()})
    clipped32 = []
    part2(torch, M, net32, seg, out32, clipped32, [], verbose=False)
    assert clipped32 == clipped

    def worst(prefix):
        return max([(out32[n].double() - out[n]).abs().max().item() for n in out
                    if n.startswith(prefix)], default=0.0)
    checks.append("float32 port vs these float64 numbers, max abs diff: "
                  f"logits {max(worst(f'seg{k}.logits') for k in range(S)):.1e}, "
                  f"ar {max(worst(f'seg{k}.ar') for k in range(S)):.1e}, "
                  f"grads {max([worst(f'seg{k}.grad.') for k in range(n_grad)], default=0.0):.1e}, "
                  f"final memories {worst('final.'):.1e}, train.loss {worst('train.loss'):.1e}, "
                  f"train.final {worst('train.final.'):.1e}")

    # ---- self checks of the port ----
    checks.append(check_attention_naive(torch, M, net))
    checks.append(check_fresh_memory(torch, M, net, seg, mem_before, out))
    checks.append(check_causal(torch, M, net, seg))
    checks.extend(check_gradcheck(torch, M, net, seg, mem_before))

    # ---- write ----
    meta = cfg.metadata()
    meta.update({"vocab": M.vocab_to_json(VOCAB.encode()), "batch_size": str(B), "lr": repr(LR),
                 "warmup": str(WARMUP), "clip": repr(CLIP), "n_segments": str(S),
                 "n_grad_segments": str(n_grad)})
    tensors = {n: v.float() for n, v in init_state.items()}
    tensors["tokens"] = tokens.to(torch.int32)
    for n, v in out.items():
        tensors[n] = v.float() if v.is_floating_point() else v
    os.makedirs(args.outdir, exist_ok=True)
    path = os.path.join(args.outdir, "tiny.safetensors")
    M.save_safetensors(path, tensors, meta)

    back, back_meta = M.load_safetensors(path)
    assert back_meta == meta and list(back) == list(tensors)
    assert all(torch.equal(back[n], tensors[n]) for n in tensors)
    loaded, vocab, _ = M.load_checkpoint(path, dtype=f64, warn_unknown=False)
    assert bytes(vocab).decode() == VOCAB
    checks.append("safetensors round trip: all tensors and metadata equal; loads as a checkpoint")

    print(f"wrote {path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")
    print("checks:")
    for c in checks:
        print("  " + c)


def part1(torch, M, net, seg, out, mem_before, n_grad, verbose):
    """Fixed weights, memory carried, gradients of each segment alone (stored for k < n_grad)."""
    names = list(net.state_dict().keys())
    params = dict(net.named_parameters())
    assert names == list(params.keys())
    mem = c_mem = None
    for k in range(N_SEGMENTS):
        mem_before[k] = (mem, c_mem)
        x, y = seg(k)
        net.zero_grad(set_to_none=True)
        loss, ce, ar, logits, mem, c_mem, compressed = M.segment_loss(net, x, y, mem, c_mem)
        loss.backward()
        out[f"seg{k}.logits"] = logits.detach()
        out[f"seg{k}.ce"] = ce.detach().reshape(1)
        out[f"seg{k}.ar"] = ar.detach()
        for n in names if k < n_grad else []:
            g = params[n].grad
            out[f"seg{k}.grad.{n}"] = torch.zeros_like(params[n]) if g is None else g.detach().clone()
        out[f"seg{k}.mem_len"] = torch.tensor([mem[0].shape[1]], dtype=torch.int32)
        out[f"seg{k}.c_mem_len"] = torch.tensor([c_mem[0].shape[1]], dtype=torch.int32)
        has_conv_grad = params["layers.0.compress.weight"].grad is not None
        assert has_conv_grad == compressed, (k, compressed)
        if verbose:
            print(f"segment {k}: ce {ce.item():.6f} ar {[round(a, 6) for a in ar.tolist()]} "
                  f"mem {mem[0].shape[1]} c_mem {c_mem[0].shape[1]} compressed {compressed}")
    for l in range(N_LAYERS):
        out[f"final.memory.{l}"] = mem[l]
        out[f"final.c_memory.{l}"] = c_mem[l]
    net.zero_grad(set_to_none=True)


def part2(torch, M, net, seg, out, clipped, norms, verbose):
    """N_SEGMENTS full training steps from fresh memory."""
    opt = M.AdamWarmup(net.parameters(), lr=LR, warmup=WARMUP)
    mem = c_mem = None
    losses, ces = [], []
    for k in range(N_SEGMENTS):
        x, y = seg(k)
        opt.zero_grad()
        loss, ce, ar, logits, mem, c_mem, compressed = M.segment_loss(net, x, y, mem, c_mem)
        loss.backward()
        # the same clip as torch's: run torch's clip_grad_norm_ on copies of the gradients
        copies = []
        for p in net.parameters():
            if p.grad is not None:
                h = torch.zeros_like(p)
                h.grad = p.grad.clone()
                copies.append(h)
        norm, was_clipped = M.grad_norm_and_clip(list(net.parameters()), CLIP)
        torch_norm = float(torch.nn.utils.clip_grad_norm_(copies, CLIP))
        tol = 1e-12 if net.dtype == torch.float64 else 1e-5
        assert abs(torch_norm - norm) < tol * max(1.0, norm)
        mine = [p.grad for p in net.parameters() if p.grad is not None]
        assert all(torch.allclose(a, h.grad, rtol=tol, atol=0) for a, h in zip(mine, copies))
        opt.step()
        losses.append(loss.item())
        ces.append(ce.item())
        norms.append(norm)
        clipped.append(was_clipped)
        if verbose:
            print(f"train step {k}: loss {loss.item():.6f} ce {ce.item():.6f} "
                  f"grad_norm {norm:.6f} clipped {was_clipped}")
    out["train.loss"] = torch.tensor(losses, dtype=torch.float64)
    out["train.ce"] = torch.tensor(ces, dtype=torch.float64)
    out["train.grad_norm"] = torch.tensor(norms, dtype=torch.float64)
    for n, v in net.state_dict().items():
        out[f"train.final.{n}"] = v.detach().clone()


def check_attention_naive(torch, M, net):
    """The gather-based attention against a loop over (i, j, h) written from the formula."""
    import math
    torch.manual_seed(7)
    att = net.layers[1].attn
    B, Q, K, d = 2, 3, 8, D_MODEL
    H, dk = N_HEADS, D_MODEL // N_HEADS
    z = torch.randn(B, Q, d, dtype=torch.float64)
    kv = torch.cat([torch.randn(B, K - Q, d, dtype=torch.float64), z], dim=1)
    fast = att(z, kv)
    with torch.no_grad():
        q = att.q(z).view(B, Q, H, dk)
        k = att.k(kv).view(B, K, H, dk)
        v = att.v(kv).view(B, K, H, dk)
        o = torch.zeros(B, Q, H, dk, dtype=torch.float64)
        for b in range(B):
            for h in range(H):
                for i in range(Q):
                    s = []
                    for j in range(K):
                        delta = (K - Q + i) - j
                        if delta < 0:
                            s.append(float("-inf"))
                            continue
                        val = ((q[b, i, h] + att.content_bias[h]) @ k[b, j, h]
                               + q[b, i, h] @ att.rel_key[delta, h] + att.rel_bias[delta, h])
                        s.append(float(val) / math.sqrt(dk))
                    p = torch.tensor(s, dtype=torch.float64).softmax(0)
                    o[b, i, h] = (p[:, None] * v[b, :, h]).sum(0)
        slow = att.o(o.reshape(B, Q, d))
    err = (fast - slow).abs().max().item()
    assert err < 1e-12, err
    return f"attention (gathers by delta) == naive loop over i,j,h: max abs diff {err:.1e}"


def check_fresh_memory(torch, M, net, seg, mem_before, out):
    x, _ = seg(0)
    with torch.no_grad():
        a, _ = net(x, None, None)
        empty = net.empty_memory(BATCH)
        b, _ = net(x, *empty)
        # the same tokens with the (non-empty) memory of a later segment do give other logits
        c, _ = net(x, *mem_before[3])
    assert mem_before[0] == (None, None)
    assert torch.equal(a, b) and torch.allclose(a, out["seg0.logits"], rtol=0, atol=0)
    diff = (a - c).abs().max().item()
    assert diff > 1e-3
    return ("segment 0 logits do not depend on memory: starts with none, equal with explicit empty "
            f"memories; a non-empty memory changes them by up to {diff:.3f}")


def check_causal(torch, M, net, seg):
    x, _ = seg(2)
    x2 = x.clone()
    x2[:, -1] = (x2[:, -1] + 1) % len(VOCAB)
    with torch.no_grad():
        a, _ = net(x, *net.empty_memory(BATCH))
        b, _ = net(x2, *net.empty_memory(BATCH))
    assert torch.equal(a[:, :-1], b[:, :-1]) and not torch.equal(a[:, -1], b[:, -1])
    return "causal: changing the last input token changes only the last position's logits"


def check_gradcheck(torch, M, net, seg, mem_before):
    """torch.autograd.gradcheck (float64) of the whole segment loss CE+sum(AR) of segment 2 (with
    memory and compressed memory, compressing 4 rows into 2 slots) w.r.t. several tensors.

    The AR loss reads detached values (this segment's layer inputs, LN_att's affine, W_q, W_k, W_v,
    b_v), so a finite difference of the literal loss would also see them move. The checked function
    therefore takes those from the unperturbed weights and lets only the conv vary in AR; gradcheck
    compares its autograd gradient with central differences, and the gradient of the real training
    code (M.segment_loss + backward) must equal that autograd gradient."""
    from torch.nn.utils.stateless import functional_call
    import torch.nn.functional as F
    k = 2
    x, y = seg(k)
    mem, c_mem = mem_before[k]
    assert mem[0].shape[1] > 0 and c_mem[0].shape[1] > 0
    wrt = ["layers.0.attn.rel_key", "layers.1.attn.rel_key", "layers.0.attn.content_bias",
           "layers.1.attn.rel_bias", "layers.1.compress.weight", "layers.0.compress.bias",
           "layers.0.attn_norm.weight", "layers.1.attn.q.weight", "embed.weight"]

    class Call(torch.nn.Module):
        """Runs net.forward or net.ar_loss under functional_call."""
        def __init__(self, inner, method):
            super().__init__()
            self.inner, self.method = inner, method

        def forward(self, *a):
            return getattr(self.inner, self.method)(*a)

    fwd, arl = Call(net, "forward"), Call(net, "ar_loss")
    base = {n: p.detach() for n, p in net.named_parameters()}
    with torch.no_grad():
        _, new_mem = net(x, mem, c_mem)
        _, _, to_compress = net.merge_compress(mem, c_mem, new_mem)
    assert to_compress is not None and to_compress[0].shape[1] == 4

    def prefixed(state):
        return {"inner." + n: t for n, t in state.items()}

    def f(*tensors):
        moved = dict(zip(wrt, tensors))
        logits, _ = functional_call(fwd, prefixed({**base, **moved}), (x, mem, c_mem))
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        convs = {n: t for n, t in moved.items() if ".compress." in n}
        ar = functional_call(arl, prefixed({**base, **convs}), (new_mem, to_compress))
        return ce + ar.sum()

    inputs = tuple(base[n].clone().requires_grad_(True) for n in wrt)
    ok = torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)
    assert ok
    ref = torch.autograd.grad(f(*inputs), inputs)

    net.zero_grad(set_to_none=True)
    loss, *_ = M.segment_loss(net, x, y, mem, c_mem)
    loss.backward()
    params = dict(net.named_parameters())
    worst = max(((params[n].grad - r).abs().max() / r.abs().max()).item() for n, r in zip(wrt, ref))
    assert worst < 1e-12, worst
    conv_g = params["layers.1.compress.weight"].grad.abs().max().item()
    assert conv_g > 0
    net.zero_grad(set_to_none=True)
    n_el = sum(t.numel() for t in inputs)
    return [f"gradcheck (float64, eps 1e-6, atol 1e-8, rtol 1e-6) of CE+sum(AR) on segment {k} "
            f"(m={mem[0].shape[1]}, cm={c_mem[0].shape[1]}, 4 rows -> 2 slots) w.r.t. "
            f"{', '.join(wrt)} ({n_el} elements): passed",
            f"training-code gradients (segment_loss + backward) equal the checked ones: "
            f"max rel diff {worst:.1e}; max |grad| of layers.1.compress.weight {conv_g:.2e}"]


if __name__ == "__main__":
    sys.exit(main())
