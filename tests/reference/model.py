"""PyTorch reference port of memscope's model (see /work/shared/docs/model.md).

Everything here follows the model contract: a pre-LayerNorm Compressive Transformer with relative
attention whose tables are indexed directly by the distance delta, per-layer compressed memory made by a
strided Conv1d, the attention-reconstruction (AR) loss, labml's Adam with warm-up, a global gradient-norm
clip, and a hand-written safetensors reader/writer.

Tensors are [batch, time, d] throughout. Memories are lists with one tensor per layer, each
[batch, length, d]; an empty memory is a tensor with length 0 (or None before the first segment).

The importing script must set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS before importing this module,
because importing torch fixes the thread pools.
"""

import json
import math
import struct
import sys
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

LN_EPS = 1e-5

# ----------------------------------------------------------------------------------------------------
# Configuration

MODEL_KEYS = ("d_model", "n_heads", "n_layers", "d_ff", "seq_len", "mem_len", "c_mem_len",
              "compression_rate")


@dataclass
class ModelConfig:
    vocab_size: int
    d_model: int
    n_heads: int
    n_layers: int
    d_ff: int
    seq_len: int
    mem_len: int
    c_mem_len: int
    compression_rate: int

    @property
    def d_k(self):
        return self.d_model // self.n_heads

    @property
    def rel_len(self):
        # R: the largest distance that can be unmasked, plus one.
        return self.c_mem_len + self.mem_len + self.seq_len

    def validate(self):
        if self.d_model % self.n_heads:
            raise ValueError("n_heads must divide d_model")
        for k in ("vocab_size", "d_model", "n_heads", "n_layers", "d_ff", "seq_len",
                  "compression_rate"):
            if getattr(self, k) < 1:
                raise ValueError(f"{k} must be >= 1")
        if self.mem_len < 0 or self.c_mem_len < 0:
            raise ValueError("memory lengths must be >= 0")

    def metadata(self):
        """The model keys as checkpoint metadata strings (vocab is added by the caller)."""
        d = asdict(self)
        return {k: str(d[k]) for k in MODEL_KEYS}


# ----------------------------------------------------------------------------------------------------
# Model


class RelativeAttention(nn.Module):
    """Multi-head attention with content bias and per-distance key vectors and scalar biases."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d, H, dk, R = cfg.d_model, cfg.n_heads, cfg.d_k, cfg.rel_len
        self.n_heads, self.d_k = H, dk
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=True)
        self.o = nn.Linear(d, d, bias=True)
        self.rel_key = nn.Parameter(torch.zeros(R, H, dk))
        self.rel_bias = nn.Parameter(torch.zeros(R, H))
        self.content_bias = nn.Parameter(torch.zeros(H, dk))

    def forward(self, z, kv):
        """z: [B, Q, d] normalised queries' input; kv: [B, K, d] normalised keys' input (current
        segment last). Returns the W_o-projected attention output [B, Q, d]."""
        B, Q, d = z.shape
        K = kv.shape[1]
        H, dk = self.n_heads, self.d_k
        if K > self.rel_key.shape[0]:
            raise ValueError(f"{K} keys but only {self.rel_key.shape[0]} relative rows")

        q = self.q(z).view(B, Q, H, dk)
        k = self.k(kv).view(B, K, H, dk)
        v = self.v(kv).view(B, K, H, dk)

        # distance of key j from query i; the query i sits at key position K - Q + i
        i = torch.arange(Q, device=z.device).unsqueeze(1)
        j = torch.arange(K, device=z.device).unsqueeze(0)
        delta = (K - Q + i) - j                      # [Q, K]
        masked = delta < 0
        idx = delta.clamp(min=0)                     # masked entries read row 0, then get masked

        # content term: (q + content_bias) . k
        content = torch.einsum("bihd,bjhd->bhij", q + self.content_bias, k)
        # position term: q . rel_key[delta]; first q against every row in use, then pick by delta
        q_rel = torch.einsum("bihd,rhd->bhir", q, self.rel_key[:K])          # [B, H, Q, K rows]
        position = q_rel.gather(3, idx.expand(B, H, Q, K))
        # scalar bias per distance and head
        bias = self.rel_bias[idx].permute(2, 0, 1)                           # [H, Q, K]

        scores = (content + position + bias) / math.sqrt(dk)
        scores = scores.masked_fill(masked, float("-inf"))
        p = scores.softmax(dim=-1)
        out = torch.einsum("bhij,bjhd->bihd", p, v).reshape(B, Q, d)
        return self.o(out)


class FeedForward(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.up = nn.Linear(cfg.d_model, cfg.d_ff)
        self.down = nn.Linear(cfg.d_ff, cfg.d_model)

    def forward(self, x):
        return self.down(F.relu(self.up(x)))


class Layer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d, c = cfg.d_model, cfg.compression_rate
        self.attn_norm = nn.LayerNorm(d, eps=LN_EPS)
        self.attn = RelativeAttention(cfg)
        self.ffn_norm = nn.LayerNorm(d, eps=LN_EPS)
        self.ffn = FeedForward(cfg)
        self.compress = nn.Conv1d(d, d, c, stride=c)

    def forward(self, x, mem, c_mem):
        z = self.attn_norm(x)
        parts = [self.attn_norm(m) for m in (c_mem, mem) if m is not None and m.shape[1] > 0]
        kv = torch.cat(parts + [z], dim=1)
        x = x + self.attn(z, kv)
        x = x + self.ffn(self.ffn_norm(x))
        return x

    def compress_rows(self, rows):
        """Conv1d over time: [B, n*c, d] -> [B, n, d]."""
        return self.compress(rows.transpose(1, 2)).transpose(1, 2)


class CompressiveTransformer(nn.Module):
    def __init__(self, cfg: ModelConfig, dtype=torch.float32):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)   # N(0, 1) by default
        self.layers = nn.ModuleList(Layer(cfg) for _ in range(cfg.n_layers))
        self.norm = nn.LayerNorm(cfg.d_model, eps=LN_EPS)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size)
        self.to(dtype)

    @property
    def dtype(self):
        return self.embed.weight.dtype

    def forward(self, tokens, mem=None, c_mem=None):
        """tokens [B, Q] int64; mem, c_mem: per-layer lists (or None).
        Returns logits [B, Q, V] and new_mem: the input of every layer, detached."""
        L = self.cfg.n_layers
        mem = mem if mem is not None else [None] * L
        c_mem = c_mem if c_mem is not None else [None] * L
        x = self.embed(tokens)
        new_mem = []
        for layer, m, cm in zip(self.layers, mem, c_mem):
            new_mem.append(x.detach())
            x = layer(x, m, cm)
        return self.head(self.norm(x)), new_mem

    def empty_memory(self, batch):
        L, d = self.cfg.n_layers, self.cfg.d_model
        e = lambda: [torch.zeros(batch, 0, d, dtype=self.dtype) for _ in range(L)]
        return e(), e()

    @torch.no_grad()
    def merge_compress(self, mem, c_mem, new_mem):
        """Steps 3-4 of model.md. Returns (mem, c_mem, to_compress); to_compress is None when
        no rows were removed (then there is no AR loss), else one [B, n*c, d] tensor per layer."""
        cfg = self.cfg
        B = new_mem[0].shape[0]
        if cfg.mem_len == 0 and cfg.c_mem_len == 0:
            return None, None, None
        if mem is None or c_mem is None:
            mem, c_mem = self.empty_memory(B)
        mem = [torch.cat((m, n), dim=1) for m, n in zip(mem, new_mem)]
        length = mem[0].shape[1]
        if length <= cfg.mem_len:
            return mem, c_mem, None
        c = cfg.compression_rate
        n_slots = -(-(length - cfg.mem_len) // c)          # ceil
        n_old = n_slots * c
        to_compress = [m[:, :n_old] for m in mem]
        mem = [m[:, n_old:] for m in mem]
        new_c = []
        for layer, cm, old in zip(self.layers, c_mem, to_compress):
            cm = torch.cat((cm, layer.compress_rows(old)), dim=1)
            new_c.append(cm[:, max(0, cm.shape[1] - cfg.c_mem_len):])
        return mem, new_c, to_compress

    def ar_loss(self, new_mem, to_compress):
        """Per-layer attention-reconstruction loss [L]; gradient reaches only the convs."""
        H, dk = self.cfg.n_heads, self.cfg.d_k
        losses = []
        for layer, h, old in zip(self.layers, new_mem, to_compress):
            h, old = h.detach(), old.detach()
            comp = layer.compress_rows(old)
            w_ln = layer.attn_norm.weight.detach()
            b_ln = layer.attn_norm.bias.detach()
            norm = lambda t: F.layer_norm(t, (t.shape[-1],), w_ln, b_ln, LN_EPS)
            wq = layer.attn.q.weight.detach()
            wk = layer.attn.k.weight.detach()
            wv = layer.attn.v.weight.detach()
            bv = layer.attn.v.bias.detach()
            hn = norm(h)

            def attend(mem_rows):
                mn = norm(mem_rows)
                B, Q, T = hn.shape[0], hn.shape[1], mn.shape[1]
                q = F.linear(hn, wq).view(B, Q, H, dk)
                k = F.linear(mn, wk).view(B, T, H, dk)
                v = F.linear(mn, wv, bv).view(B, T, H, dk)
                p = (torch.einsum("bihd,bjhd->bhij", q, k) / math.sqrt(dk)).softmax(dim=-1)
                return torch.einsum("bhij,bjhd->bihd", p, v)

            losses.append(((attend(comp) - attend(old)) ** 2).mean())
        return torch.stack(losses)


# ----------------------------------------------------------------------------------------------------
# One segment / training step


def segment_loss(model, tokens, targets, mem, c_mem):
    """Forward, memory update and losses of one segment.
    Returns (total, ce, ar [L], logits, mem, c_mem, compressed: bool)."""
    logits, new_mem = model(tokens, mem, c_mem)
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    mem, c_mem, to_compress = model.merge_compress(mem, c_mem, new_mem)
    if to_compress is not None:
        ar = model.ar_loss(new_mem, to_compress)
    else:
        ar = torch.zeros(model.cfg.n_layers, dtype=ce.dtype)
    return ce + ar.sum(), ce, ar, logits, mem, c_mem, to_compress is not None


def grad_norm_and_clip(params, max_norm):
    """Global L2 norm over every existing gradient; scales them by max_norm/(norm+1e-6) when that
    is below 1 (as torch.nn.utils.clip_grad_norm_). Returns (norm, clipped?)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0, False
    norm = torch.sqrt(sum((g.detach() ** 2).sum() for g in grads))
    coef = max_norm / (norm + 1e-6)
    if coef < 1:
        for g in grads:
            g.mul_(coef)
        return float(norm), True
    return float(norm), False


class AdamWarmup:
    """labml's Adam with warm-up and its 'optimized update' (eps added to sqrt(v) before the bias
    correction factor), no weight decay. Step counts are per parameter."""

    def __init__(self, params, lr=2.5e-4, warmup=2000, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, self.warmup, self.betas, self.eps = lr, warmup, betas, eps
        self.state = {}

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def lr_at(self, t):
        if t < self.warmup:
            return 1e-8 + t * self.lr / self.warmup
        return self.lr

    @torch.no_grad()
    def step(self):
        b1, b2 = self.betas
        for p in self.params:
            if p.grad is None:
                continue
            st = self.state.get(p)
            if st is None:
                st = self.state[p] = {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}
            st["t"] += 1
            t, g = st["t"], p.grad
            st["m"].mul_(b1).add_(g, alpha=1 - b1)
            st["v"].mul_(b2).addcmul_(g, g, value=1 - b2)
            step_size = self.lr_at(t) * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            p.addcdiv_(st["m"], st["v"].sqrt().add_(self.eps), value=-step_size)


# ----------------------------------------------------------------------------------------------------
# safetensors, by hand

_DTYPES = {  # name -> (torch dtype, bytes per element)
    "F64": (torch.float64, 8), "F32": (torch.float32, 4), "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2), "I64": (torch.int64, 8), "I32": (torch.int32, 4),
    "I16": (torch.int16, 2), "I8": (torch.int8, 1), "U8": (torch.uint8, 1), "BOOL": (torch.bool, 1),
}
_NAME_OF = {v[0]: k for k, v in _DTYPES.items()}
# torch 1.13 has no uint64: read U64 (which memscope may write) as int64, bit for bit
_READ_ONLY = {"U64": (torch.int64, 8)}

if sys.byteorder != "little":
    raise RuntimeError("this safetensors code assumes a little-endian host")


def save_safetensors(path, tensors, metadata=None):
    """tensors: ordered dict name -> tensor (written in that order); metadata: dict of str -> str."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        if t.dtype not in _NAME_OF:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        raw = t.view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _NAME_OF[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def load_safetensors(path, skip=None):
    """Returns (dict name -> tensor in file order, metadata dict). Tensors whose name satisfies
    skip(name) are left out without being decoded."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", buf[:8])
    if 8 + n > len(buf):
        raise ValueError(f"{path}: header length {n} runs past the end")
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None) or {}
    data = memoryview(buf)[8 + n:]
    out = {}
    for name, info in header.items():
        if skip is not None and skip(name):
            continue
        kind = info["dtype"]
        if kind not in _DTYPES and kind not in _READ_ONLY:
            raise ValueError(f"{path}: {name}: unsupported dtype {kind}")
        dtype, size = _DTYPES.get(kind) or _READ_ONLY[kind]
        start, end = info["data_offsets"]
        shape = info["shape"]
        count = math.prod(shape)
        if end - start != count * size or end > len(data):
            raise ValueError(f"{path}: {name}: bad data_offsets {start},{end}")
        chunk = bytearray(data[start:end])
        if count:
            t = torch.frombuffer(chunk, dtype=torch.uint8).view(dtype)
        else:
            t = torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(shape).clone()
    return out, meta


# ----------------------------------------------------------------------------------------------------
# memscope checkpoints


def vocab_to_json(byte_values):
    """Bytes in id order -> the metadata string: a JSON string, one character per byte (byte b is
    the character U+00bb, so bytes >= 128 appear as \\u00XX escapes)."""
    return json.dumps("".join(chr(b) for b in byte_values), ensure_ascii=True)


def vocab_from_json(text):
    chars = json.loads(text)
    if not isinstance(chars, str):
        raise ValueError("vocab metadata is not a JSON string")
    out = [ord(ch) for ch in chars]
    if any(b > 255 for b in out):
        raise ValueError("vocab holds a character beyond one byte")
    if len(set(out)) != len(out):
        raise ValueError("vocab holds a character twice")
    return out


def _is_ignored(name):
    if name.startswith("optim.") or name.startswith("memory."):
        return True
    parts = name.split(".")
    return len(parts) >= 3 and parts[0] == "layers" and parts[2].startswith("compress_r")


def load_checkpoint(path, dtype=torch.float32, warn_unknown=True):
    """Loads a memscope checkpoint (or a weights-only one). Returns (model, vocab bytes, metadata)."""
    tensors, meta = load_safetensors(path, skip=_is_ignored)
    missing = [k for k in MODEL_KEYS + ("vocab",) if k not in meta]
    if missing:
        raise ValueError(f"{path}: metadata lacks {', '.join(missing)}")
    vocab = vocab_from_json(meta["vocab"])
    cfg = ModelConfig(vocab_size=len(vocab), **{k: int(meta[k]) for k in MODEL_KEYS})
    model = CompressiveTransformer(cfg, dtype=dtype)
    state = tensors
    own = model.state_dict()
    absent = [k for k in own if k not in state]
    if absent:
        raise ValueError(f"{path}: missing tensors: {', '.join(absent[:5])}")
    unknown = [k for k in state if k not in own]
    if unknown and warn_unknown:
        print(f"warning: {path}: ignoring {len(unknown)} tensor(s) that are not model weights "
              f"({unknown[0]}{', ...' if len(unknown) > 1 else ''})", file=sys.stderr)
    for k in own:
        if tuple(state[k].shape) != tuple(own[k].shape):
            raise ValueError(f"{path}: {k} has shape {list(state[k].shape)}, "
                             f"expected {list(own[k].shape)}")
    model.load_state_dict({k: state[k].to(dtype) for k in own})
    return model, vocab, meta


def save_checkpoint(path, model, vocab, extra_meta=None):
    """Weights-only checkpoint: model tensors as F32 plus the config metadata."""
    meta = model.cfg.metadata()
    meta["vocab"] = vocab_to_json(vocab)
    if extra_meta:
        meta.update({k: str(v) for k, v in extra_meta.items()})
    tensors = {k: v.detach().to(torch.float32) for k, v in model.state_dict().items()}
    save_safetensors(path, tensors, meta)
