"""labml.ai's Compressive Transformer state dict, for memscope's import/export tests.

labml's module tree (labml_nn/transformers/compressive and its experiment's AutoregressiveModel) has other
names than model.py, and its relative tables keep 2P rows (P = 4096) where model.py keeps R rows indexed by
the distance delta: labml's row P - delta is model.py's row delta. `LabmlShaped` has exactly labml's
parameter names and shapes (so `load_state_dict(strict=True)` checks a file the way labml's own model
would); `to_port` turns its state dict into a model.py model, which computes what labml computes.

Usage (Debian's python3-torch, /usr/bin/python3):
  labml_port.py golden OUTDIR        writes OUTDIR/labml_tiny.safetensors and OUTDIR/labml_tiny.txt, with the
                                     port's CE on that text (float64) in the metadata key reference.ce
  labml_port.py check FILE TEXT Q M C [EVAL]   load_state_dict(strict=True) of FILE (e.g. from memscope export
                                     --to labml) into LabmlShaped, then the port's CE on EVAL (default TEXT);
                                     the vocabulary is TEXT's sorted distinct bytes, labml's rule
"""

import math
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402
from eval import evaluate  # noqa: E402

P = 4096
SEED = 14
D_MODEL, N_HEADS, N_LAYERS, D_FF, RATE = 8, 2, 2, 12, 2
SEQ_LEN, MEM_LEN, C_MEM_LEN = 4, 4, 3
TEXT = ("Now is the winter of our discontent\nMade glorious summer by this sun of York;\n"
        "And all the clouds that lour'd upon our house\nIn the deep bosom of the ocean buried.\n")


class Linear(nn.Module):
    """labml's PrepareForMultiHeadAttention: the projection lives in .linear."""

    def __init__(self, d, bias):
        super().__init__()
        self.linear = nn.Linear(d, d, bias=bias)


class SelfAttention(nn.Module):
    def __init__(self, d, H):
        super().__init__()
        self.query, self.key, self.value = Linear(d, False), Linear(d, False), Linear(d, True)
        self.output = nn.Linear(d, d)
        self.key_pos_embeddings = nn.Parameter(torch.zeros(2 * P, H, d // H))
        self.key_pos_bias = nn.Parameter(torch.zeros(2 * P, H))
        self.query_pos_bias = nn.Parameter(torch.zeros(H, d // H))


class FeedForward(nn.Module):
    def __init__(self, d, d_ff):
        super().__init__()
        self.layer1, self.layer2 = nn.Linear(d, d_ff), nn.Linear(d_ff, d)


class Compress(nn.Module):
    def __init__(self, d, c):
        super().__init__()
        self.conv = nn.Conv1d(d, d, c, stride=c)


class Layer(nn.Module):
    def __init__(self, d, H, d_ff, c):
        super().__init__()
        self.norm_self_attn, self.norm_ff = nn.LayerNorm([d]), nn.LayerNorm([d])
        self.self_attn = SelfAttention(d, H)
        self.feed_forward = FeedForward(d, d_ff)
        self.compress = Compress(d, c)


class Transformer(nn.Module):
    def __init__(self, d, H, L, d_ff, c):
        super().__init__()
        self.layers = nn.ModuleList(Layer(d, H, d_ff, c) for _ in range(L))
        self.norm = nn.LayerNorm([d])


class LabmlShaped(nn.Module):
    """labml's AutoregressiveModel(CompressiveTransformer): parameter names and shapes only."""

    def __init__(self, V, d, H, L, d_ff, c):
        super().__init__()
        self.src_embed = nn.Embedding(V, d)
        self.transformer = Transformer(d, H, L, d_ff, c)
        self.generator = nn.Linear(d, V)


LAYER_NAMES = {  # model.py name within a layer -> labml's
    "attn_norm.weight": "norm_self_attn.weight", "attn_norm.bias": "norm_self_attn.bias",
    "attn.q.weight": "self_attn.query.linear.weight", "attn.k.weight": "self_attn.key.linear.weight",
    "attn.v.weight": "self_attn.value.linear.weight", "attn.v.bias": "self_attn.value.linear.bias",
    "attn.o.weight": "self_attn.output.weight", "attn.o.bias": "self_attn.output.bias",
    "attn.rel_key": "self_attn.key_pos_embeddings", "attn.rel_bias": "self_attn.key_pos_bias",
    "attn.content_bias": "self_attn.query_pos_bias",
    "ffn_norm.weight": "norm_ff.weight", "ffn_norm.bias": "norm_ff.bias",
    "ffn.up.weight": "feed_forward.layer1.weight", "ffn.up.bias": "feed_forward.layer1.bias",
    "ffn.down.weight": "feed_forward.layer2.weight", "ffn.down.bias": "feed_forward.layer2.bias",
    "compress.weight": "compress.conv.weight", "compress.bias": "compress.conv.bias",
}
TOP_NAMES = {"embed.weight": "src_embed.weight", "norm.weight": "transformer.norm.weight",
             "norm.bias": "transformer.norm.bias", "head.weight": "generator.weight",
             "head.bias": "generator.bias"}


def labml_name(ours):
    if ours in TOP_NAMES:
        return TOP_NAMES[ours]
    _, l, rest = ours.split(".", 2)
    return f"transformer.layers.{l}.{LAYER_NAMES[rest]}"


def to_port(state, vocab_size, seq_len, mem_len, c_mem_len, dtype=torch.float32):
    """A model.py model from labml's state dict: relative row delta = labml's row P - delta."""
    L = sum(1 for k in state if k.endswith(".norm_self_attn.weight"))
    V, d = state["src_embed.weight"].shape
    assert V == vocab_size, (V, vocab_size)
    cfg = M.ModelConfig(vocab_size=V, d_model=d, n_heads=state["transformer.layers.0.self_attn.query_pos_bias"].shape[0],
                        n_layers=L, d_ff=state["transformer.layers.0.feed_forward.layer1.weight"].shape[0],
                        seq_len=seq_len, mem_len=mem_len, c_mem_len=c_mem_len,
                        compression_rate=state["transformer.layers.0.compress.conv.weight"].shape[2])
    net = M.CompressiveTransformer(cfg, dtype=dtype)
    R = cfg.rel_len
    ours = {}
    for name in net.state_dict():
        t = state[labml_name(name)]
        if ".rel_" in name:
            t = t[P - torch.arange(R)]
        ours[name] = t.to(dtype)
    net.load_state_dict(ours, strict=True)
    return net


def port_ce(net, text_bytes, vocab):
    lut = {b: i for i, b in enumerate(vocab)}
    ids = torch.tensor([lut[b] for b in text_bytes], dtype=torch.int64)
    ce, _, _, _ = evaluate(net, ids)
    return ce


def golden(outdir):
    torch.manual_seed(SEED)
    raw = TEXT.encode()
    vocab = sorted(set(raw))
    net = LabmlShaped(len(vocab), D_MODEL, N_HEADS, N_LAYERS, D_FF, RATE)
    with torch.no_grad():  # labml starts these at 0 and 1; random values show a wrong mapping
        for name, p in net.named_parameters():
            if "pos_" in name or "norm" in name:
                p.normal_(0.0 if "bias" in name or "pos_" in name else 1.0, 0.3)
    state = {k: v.detach().float().contiguous() for k, v in net.state_dict().items()}
    ce = port_ce(to_port(state, len(vocab), SEQ_LEN, MEM_LEN, C_MEM_LEN, torch.float64), raw, vocab)
    ce32 = port_ce(to_port(state, len(vocab), SEQ_LEN, MEM_LEN, C_MEM_LEN), raw, vocab)
    meta = {"format": "pt", "reference.ce": repr(ce), "reference.seq_len": str(SEQ_LEN),
            "reference.mem_len": str(MEM_LEN), "reference.c_mem_len": str(C_MEM_LEN)}
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "labml_tiny.safetensors")
    M.save_safetensors(path, state, meta)
    with open(os.path.join(outdir, "labml_tiny.txt"), "wb") as f:
        f.write(raw)
    print(f"wrote {path} ({os.path.getsize(path)} bytes): port CE {ce:.9f} (float64), {ce32:.9f} (float32)")


def check(path, text_path, Q, Mlen, C, eval_path=None):
    state, meta = M.load_safetensors(path)
    vocab = sorted(set(open(text_path, "rb").read()))
    eval_path = eval_path or text_path
    raw = open(eval_path, "rb").read()
    V, d = state["src_embed.weight"].shape
    H = state["transformer.layers.0.self_attn.query_pos_bias"].shape[0]
    L = sum(1 for k in state if k.endswith(".norm_self_attn.weight"))
    d_ff = state["transformer.layers.0.feed_forward.layer1.weight"].shape[0]
    c = state["transformer.layers.0.compress.conv.weight"].shape[2]
    shaped = LabmlShaped(V, d, H, L, d_ff, c)
    shaped.load_state_dict(state, strict=True)
    print(f"load_state_dict(strict=True): ok, {len(state)} tensors (d {d}, H {H}, L {L}, d_ff {d_ff}, c {c}, V {V})")
    net = to_port({k: v.detach() for k, v in shaped.state_dict().items()}, len(vocab), Q, Mlen, C, torch.float64)
    print(f"port CE on {eval_path}: {port_ce(net, raw, vocab):.9f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "golden":
        golden(sys.argv[2])
    elif len(sys.argv) in (7, 8) and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]),
              sys.argv[7] if len(sys.argv) == 8 else None)
    else:
        sys.exit(__doc__)
