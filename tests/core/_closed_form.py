"""The closed-form check the core's tests share: a schedule against a formula written independently of rampup,
on Python numbers and on a numpy array of the same steps."""

import numpy as np


def check_closed_form(schedule, formula, steps):
    steps = list(steps)
    expected = np.array([formula(t) for t in steps])
    scalar = np.array([schedule(t) for t in steps])
    vector = schedule(np.array(steps))
    np.testing.assert_allclose(scalar, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(vector, expected, rtol=1e-12, atol=1e-15)


def check_reference(schedule, values, atol=5e-7):
    """Values quoted to 6 digits by a paper or a peer, at steps 0, 1, ..."""
    np.testing.assert_allclose(schedule(np.arange(len(values))), values, atol=atol)
