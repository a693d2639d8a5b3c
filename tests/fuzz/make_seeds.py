#!/usr/bin/env python3
"""Writes the seed corpus of the checkpoint fuzzer (tests/fuzz/corpus) from real checkpoints.

usage: make_seeds.py MEMSCOPE_BINARY OUT_DIR

Trains three tiny models with memscope (full checkpoints of different shapes), derives weights-only and
multi-rate files from them, then writes hand-broken variants, one defect each: absurd shapes, offsets
outside the file, overlapping and missing tensors, wrong dtypes, huge header lengths, shapes whose
product overflows, and metadata that disagrees with the tensors. The seeds are committed; this script
only documents (and can redo) how they were made. Standard library only.
"""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

SIZES = {"F32": 4, "F64": 8, "I32": 4, "I64": 8, "U8": 1, "U64": 8}


def read_st(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = []
    for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = t["data_offsets"]
        tensors.append({"name": name, "dtype": t["dtype"], "shape": list(t["shape"]), "data": data[b:e]})
    return meta, tensors


def header_of(meta, tensors, offsets=None):
    h = {"__metadata__": meta} if meta is not None else {}
    pos = 0
    for i, t in enumerate(tensors):
        off = offsets[i] if offsets else [pos, pos + len(t["data"])]
        h[t["name"]] = {"dtype": t["dtype"], "shape": t["shape"], "data_offsets": off}
        pos += len(t["data"])
    text = json.dumps(h, separators=(",", ":")).encode()
    return text + b" " * (-len(text) % 8)


def write_st(path, meta, tensors, offsets=None, header=None, length=None, tail=b""):
    text = header if header is not None else header_of(meta, tensors, offsets)
    body = b"".join(t["data"] for t in tensors) + tail
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text) if length is None else length) + text + body)


def copy(tensors):
    return [dict(t) for t in tensors]


def find(tensors, name):
    return next(t for t in tensors if t["name"] == name)


STATE_KEYS = ("step", "epoch", "batch_index", "valid_index", "memory.m", "memory.cm")


def weights_only(meta, tensors):
    m = {k: v for k, v in meta.items() if k not in STATE_KEYS and not k.startswith("optim.")}
    t = [x for x in tensors if not x["name"].startswith(("optim.", "memory."))]
    return m, t


def main():
    memscope, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp()
    rnd = random.Random(1)
    words = ["a ", "ab ", "ba ", "cab\n", "bad ", "dab, "]  # a 7-character vocabulary keeps the seeds small
    text = os.path.join(work, "text.txt")
    open(text, "w").write("".join(rnd.choice(words) for _ in range(1500)))

    def train(name, sets, steps):
        args = [memscope, "train", "--data", text, "--steps", str(steps), "--threads", "1",
                "--save", os.path.join(out, name)]
        for s in sets.split():
            args += ["--set", s]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    train("real_full_tiny.safetensors",
          "d_model=4 n_heads=2 n_layers=1 d_ff=4 seq_len=4 mem_len=4 c_mem_len=2 batch_size=2", 5)
    train("real_full_nomem.safetensors",
          "d_model=2 n_heads=1 n_layers=2 d_ff=2 seq_len=3 mem_len=0 c_mem_len=0 compression_rate=1 batch_size=1", 3)
    train("real_full_c3.safetensors",
          "d_model=4 n_heads=2 n_layers=2 d_ff=4 seq_len=2 mem_len=6 c_mem_len=3 compression_rate=3 batch_size=3", 9)

    meta, tensors = read_st(os.path.join(out, "real_full_tiny.safetensors"))
    wm, wt = weights_only(meta, tensors)
    write_st(os.path.join(out, "real_weights_tiny.safetensors"), wm, wt)
    # As a PyTorch export would write it: model keys and vocab only.
    model_keys = ("d_model", "n_heads", "n_layers", "d_ff", "seq_len", "mem_len", "c_mem_len", "compression_rate")
    pm = {k: v for k, v in wm.items() if k in model_keys or k == "vocab"}
    write_st(os.path.join(out, "real_weights_model_keys_only.safetensors"), pm, wt)

    # A second compression rate (4) with its convs and optimizer state, as the TUI writes after a rate change.
    mt = copy(tensors)
    d = 4
    w4 = struct.pack("<%df" % (d * d * 4), *[(i % 7) * 0.01 for i in range(d * d * 4)])
    b4 = struct.pack("<%df" % d, *([0.0] * d))
    for prefix in ("", "optim.m.", "optim.v."):
        mt.append({"name": prefix + "layers.0.compress_r4.weight", "dtype": "F32", "shape": [d, d, 4],
                   "data": w4 if not prefix.startswith("optim.v") else bytes(len(w4))})
        mt.append({"name": prefix + "layers.0.compress_r4.bias", "dtype": "F32", "shape": [d], "data": b4})
    mm = dict(meta, **{"optim.t.r4": "3"})
    write_st(os.path.join(out, "real_full_two_rates.safetensors"), mm, mt)

    full_meta, full_tensors = meta, tensors
    meta, tensors = wm, wt  # most defects are shown on the smaller weights-only file

    def broken(name, meta_=None, tensors_=None, **kw):
        write_st(os.path.join(out, "broken_" + name + ".safetensors"), meta if meta_ is None else meta_,
                 tensors if tensors_ is None else tensors_, **kw)

    def broken_state(name, meta_=None, tensors_=None):
        write_st(os.path.join(out, "broken_" + name + ".safetensors"), full_meta if meta_ is None else meta_,
                 full_tensors if tensors_ is None else tensors_)

    def with_state_meta(**changes):
        m = dict(full_meta)
        for k, v in changes.items():
            k = k.replace("__", ".")
            if v is None:
                m.pop(k, None)
            else:
                m[k] = v
        return m

    def with_state_tensor(name, **changes):
        t = copy(full_tensors)
        find(t, name).update(changes)
        return t

    def with_meta(**changes):
        m = dict(meta)
        for k, v in changes.items():
            k = k.replace("__", ".")
            if v is None:
                m.pop(k, None)
            else:
                m[k] = v
        return m

    def with_tensor(name, **changes):
        t = copy(tensors)
        x = find(t, name)
        x.update(changes)
        return t

    n = len(tensors)
    sizes = [len(t["data"]) for t in tensors]
    starts = [sum(sizes[:i]) for i in range(n)]
    ends = [s + z for s, z in zip(starts, sizes)]

    # The header's own structure
    broken("absurd_shape", tensors_=with_tensor("embed.weight", shape=[10 ** 12, 8]))
    broken("shape_product_overflows", tensors_=with_tensor("head.bias", shape=[2 ** 32, 2 ** 32, 16]))
    broken("shape_product_wraps_to_small", tensors_=with_tensor("head.bias", shape=[2 ** 62, 4, 2]))
    broken("negative_dimension", tensors_=with_tensor("norm.weight", shape=[-8]))
    broken("zero_dimension", tensors_=with_tensor("embed.weight", shape=[0, 8]))
    offs = [[s, e] for s, e in zip(starts, ends)]
    offs[-1] = [ends[-1], ends[-1] + sizes[-1]]
    broken("offset_outside_the_file", offsets=offs)
    offs = [[s, e] for s, e in zip(starts, ends)]
    offs[-1] = [2 ** 62, 2 ** 62 + sizes[-1]]
    broken("offset_far_outside", offsets=offs)
    offs = [[s, e] for s, e in zip(starts, ends)]
    offs[1] = list(offs[0]) if sizes[0] == sizes[1] else [starts[0], starts[0] + sizes[1]]
    broken("overlapping_tensors", offsets=offs)
    offs = [[s, e] for s, e in zip(starts, ends)]
    offs[2] = [offs[2][1], offs[2][0]]
    broken("offsets_reversed", offsets=offs)
    broken("missing_tensor", tensors_=[t for t in tensors if t["name"] != "layers.0.attn.q.weight"])
    broken_state("missing_memory_tensor", tensors_=[t for t in full_tensors if t["name"] != "memory.mem.0"])
    broken("wrong_dtype_i32", tensors_=with_tensor("layers.0.ffn.up.weight", dtype="I32"))
    x = find(tensors, "layers.0.ffn.up.weight")
    broken("wrong_dtype_f64", tensors_=with_tensor("layers.0.ffn.up.weight", dtype="F64",
                                                   shape=[x["shape"][0] // 2, x["shape"][1]]))
    broken("unknown_dtype", tensors_=with_tensor("norm.bias", dtype="BF16"))
    broken_state("memory_positions_f32", tensors_=with_state_tensor("memory.mem_pos", dtype="F32", shape=[
        len(find(full_tensors, "memory.mem_pos")["data"]) // 4]))
    broken_state("memory_wrong_shape", tensors_=with_state_tensor("memory.mem.0", shape=[1, 4, 8]))
    broken("huge_header_length", length=2 ** 63)
    broken("header_length_over_limit", length=100 * 1000 * 1000 + 8)
    broken("header_length_past_end", length=len(header_of(meta, tensors)) + sum(sizes) + 1)
    broken("header_length_zero", length=0)
    hdr = header_of(meta, tensors)
    broken("header_truncated_json", header=hdr[: len(hdr) // 2] + b" " * (len(hdr) - len(hdr) // 2))
    broken("header_not_object", header=b"[1,2,3]" + b" " * (len(hdr) - 7))
    broken("header_deep_nesting", header=(b"[" * 2000 + b"]" * 2000).ljust(len(hdr)))
    dup = hdr.replace(b'"format":"memscope-1"', b'"format":"memscope-1","format":"memscope-1"', 1)
    broken("duplicate_metadata_key", header=dup)
    raw = open(os.path.join(out, "real_weights_tiny.safetensors"), "rb").read()
    open(os.path.join(out, "broken_truncated_half.safetensors"), "wb").write(raw[: len(raw) // 2])
    open(os.path.join(out, "broken_truncated_in_length.safetensors"), "wb").write(raw[:5])
    open(os.path.join(out, "broken_empty.safetensors"), "wb").write(b"")
    flipped = bytearray(raw)
    for i in range(8, len(flipped), 97):
        flipped[i] ^= 0x5A
    open(os.path.join(out, "broken_bit_flips.safetensors"), "wb").write(bytes(flipped))

    # Metadata against the tensors
    broken("meta_claims_huge_model", with_meta(d_model="8192", n_layers="64", d_ff="65536", n_heads="64"))
    broken("meta_claims_huge_context", with_meta(seq_len="4096", mem_len="4096", c_mem_len="4096",
                                                 batch_size="4096"))
    broken("meta_d_model_disagrees", with_meta(d_model="16"))
    broken("meta_layers_disagree", with_meta(n_layers="2"))
    broken("meta_vocab_shorter", with_meta(vocab=json.dumps(json.loads(meta["vocab"])[:-1])))
    broken("meta_vocab_duplicates", with_meta(vocab=json.dumps("aab")))
    broken("meta_vocab_unsorted", with_meta(vocab=json.dumps("ba")))
    broken("meta_vocab_beyond_bytes", with_meta(vocab='"\\u0100"'))
    broken("meta_vocab_missing", with_meta(vocab=None))
    broken("meta_not_a_number", with_meta(n_layers="two"))
    broken("meta_negative", with_meta(mem_len="-1"))
    broken("meta_overflowing_number", with_meta(d_model="99999999999999999999999"))
    broken("meta_heads_do_not_divide", with_meta(n_heads="3"))
    broken("meta_rate_above_mem_len", with_meta(compression_rate="64"))
    broken("meta_lr_nan", with_meta(lr="nan"))
    broken_state("meta_batch_size_disagrees", with_state_meta(batch_size="3"))
    broken_state("meta_memory_rows_beyond_mem_len", with_state_meta(memory__m="99"))
    broken_state("meta_memory_rows_negative", with_state_meta(memory__cm="-2"))
    broken_state("meta_batch_index_huge", with_state_meta(batch_index="9223372036854775807"))
    broken_state("meta_step_negative", with_state_meta(step="-1"))
    broken_state("meta_epoch_huge", with_state_meta(epoch="9223372036854775807"))
    broken_state("meta_optim_t_negative", with_state_meta(optim__t="-5"))
    rate_key = next(k for k in full_meta if k.startswith("optim.t.r"))
    broken_state("meta_optim_t_missing_for_rate", {k: v for k, v in full_meta.items() if k != rate_key})
    broken_state("meta_valid_index_huge", with_state_meta(valid_index="123456789012"))
    rt = copy(tensors) + [{"name": "layers.0.compress_r99999999999.weight", "dtype": "F32", "shape": [1],
                           "data": b"\0\0\0\0"}]
    broken("rate_name_overflows", tensors_=rt)
    rt = copy(tensors) + [{"name": "layers.0.compress_r64.weight", "dtype": "F32", "shape": [1],
                           "data": b"\0\0\0\0"}]
    broken("rate_convs_misshapen", tensors_=rt)
    rt = copy(tensors) + [{"name": "layers.0.compress_r3.weight", "dtype": "F32", "shape": [4, 4, 3],
                           "data": bytes(4 * 4 * 3 * 4)}]
    broken("rate_convs_without_bias", tensors_=rt)
    nan = with_tensor("head.bias", data=struct.pack("<f", float("nan")) + find(tensors, "head.bias")["data"][4:])
    broken("nan_weights", tensors_=nan)
    inf = with_tensor("layers.0.attn.q.weight",
                      data=struct.pack("<f", float("inf")) + find(tensors, "layers.0.attn.q.weight")["data"][4:])
    broken("inf_weights", tensors_=inf)
    # Finite but so large that the forward overflows: loads, and every training step is non-finite.
    # (feed-forward bias 3e38 into a down projection of ones: the residual stream overflows to Inf)
    huge = with_tensor("layers.0.ffn.up.bias", data=struct.pack("<f", 3e38) * (len(find(tensors, "layers.0.ffn.up.bias")["data"]) // 4))
    find(huge, "layers.0.ffn.down.weight")["data"] = struct.pack("<f", 1.0) * (len(find(tensors, "layers.0.ffn.down.weight")["data"]) // 4)
    broken("huge_finite_weights", tensors_=huge)
    broken_state("nan_in_adam_moments", tensors_=with_state_tensor(
        "optim.v.norm.weight", data=struct.pack("<f", float("nan")) * (len(find(full_tensors, "optim.v.norm.weight")["data"]) // 4)))
    broken_state("nan_in_memory", tensors_=with_state_tensor(
        "memory.mem.0", data=struct.pack("<f", float("inf")) * (len(find(full_tensors, "memory.mem.0")["data"]) // 4)))

    # Hardening II (issue 12): values a hand-edited file may hold that the reader must range-check
    broken_state("negative_adam_v", tensors_=with_state_tensor(
        "optim.v.norm.weight", data=struct.pack("<f", -1.0) + find(full_tensors, "optim.v.norm.weight")["data"][4:]))
    pos = find(full_tensors, "memory.mem_pos")["data"]
    broken_state("memory_position_int64_max", tensors_=with_state_tensor(
        "memory.mem_pos", data=struct.pack("<q", 2 ** 63 - 1) + pos[8:]))
    broken_state("memory_position_negative", tensors_=with_state_tensor(
        "memory.mem_pos", data=struct.pack("<q", -5) + pos[8:]))
    last = struct.unpack("<q", find(full_tensors, "memory.cmem_last")["data"][:8])[0]
    broken_state("cmem_first_after_last", tensors_=with_state_tensor(
        "memory.cmem_first", data=struct.pack("<q", last + 1) + find(full_tensors, "memory.cmem_first")["data"][8:]))
    broken_state("meta_lr_decay_within_warmup", with_state_meta(lr_decay_steps="10", warmup="10"))
    broken_state("meta_seed_spaced_negative", with_state_meta(seed=" -1"))
    broken_state("meta_lr_underflows", with_state_meta(lr="1e-50"))

if __name__ == "__main__":
    main()
