"""Settings for the whole suite (tests/ and the doctests in src/). Keras picks its backend once per process, at
import: the suite uses torch, and tests of
the jax backend run Keras in a subprocess."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
