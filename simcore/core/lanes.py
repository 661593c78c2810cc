"""The engine's array layout: the scenarios of a chunk as a trailing *lane* axis.

The day step (:mod:`simcore.core.step`) is written for one scenario, but every array it
touches carries one more, trailing axis ``B``: the scenarios ("lanes") computed together.
A per-scenario ``[P]`` quantity is ``[P, B]``, a ``[P, O]`` one ``[P, O, B]``. Inputs
that are the same in every lane (the model's central numbers, a policy) have a trailing
axis of length 1 and broadcast; numbers drawn per scenario (uncertain parameters) have
length ``B``. Scalars of the model stay scalars.

Why not ``vmap`` over scenarios? ``vmap`` puts the scenario axis first, so every
product, origin and sector axis is minor: the operations run over rows of 5 to 200
elements, which XLA's CPU code vectorises poorly (reductions over origins become
strided, transposes appear between steps). With the scenario axis last, every
operation is a loop over long contiguous rows of scenarios, vectorised and with
reductions over products, origins and sectors turned into element-wise adds
(``results/benchmarks/compare-revisions-*.json`` against the ``vmap`` engine of commit
ecdee52); on a GPU the same layout gives coalesced memory access. Policies are still ``vmap``-ped (outermost, a leading axis), so a policy's lanes
stay contiguous.

The code of the step indexes axes from the front (``x[:, None]``, ``sum(axis=1)``), so
the same expression serves ``[P]`` and ``[P, B]`` arrays; what does not carry over
(``.T``, ``@``) goes through the helpers here.
"""

from __future__ import annotations

import jax.numpy as jnp

from simcore.core.model import Model, Policy


_INDEX_FIELDS = ("upstream_sweeps", "segment_blocks", "sector_pairs")  # indices into other fields: no lane axis


def lane(x) -> jnp.ndarray:
    """``x`` with a trailing lane axis of length 1 (the same value in every lane)."""
    return jnp.asarray(x)[..., None]


def model_lanes(model: Model, drawn: dict | None = None) -> Model:
    """``model`` in the lane layout: array fields get a trailing lane axis (length 1),
    scalars stay scalars, index fields (``upstream_sweeps``, the hidden-dependence
    links) stay as they are, and the fields in
    ``drawn`` (``{field: [B, ...]}``, per-lane values, ``hidden_share`` for the hidden
    links' shares, ``price_scale`` for the price operator's column factors, see
    :func:`simcore.core.uncertainty.drawn_fields`) replace theirs with the lane axis last. ``uncertainty`` is dropped:
    a lane model holds numbers, not distributions."""
    drawn = drawn or {}
    fields = {}
    for name, value in model._asdict().items():
        if name in ("uncertainty", "hidden", "price_scale"):
            continue
        if name in drawn:
            fields[name] = jnp.moveaxis(drawn[name], 0, -1)
        elif name in _INDEX_FIELDS or value is None:  # None: an optional feature the model does not use
            fields[name] = value
        else:
            value = jnp.asarray(value)
            fields[name] = value if value.ndim == 0 else lane(value)
    hidden = model.hidden
    if hidden is not None:
        share = jnp.moveaxis(drawn["hidden_share"], 0, -1) if "hidden_share" in drawn else lane(hidden.share)
        hidden = hidden._replace(share=share)
    # Drawn prices or demands scale the price operator's columns: kept as a factor so
    # that the operator stays one matrix shared by all lanes (one matrix product a day).
    price_scale = jnp.moveaxis(drawn["price_scale"], 0, -1) if "price_scale" in drawn else None
    return Model(**fields, uncertainty=None, hidden=hidden, price_scale=price_scale)


def policy_lanes(policy: Policy) -> Policy:
    """One policy in the lane layout (every field gets a trailing lane axis of length 1)."""
    return Policy(*(lane(x) for x in policy))


def swap_first_axes(x: jnp.ndarray) -> jnp.ndarray:
    """``x.T`` of a per-scenario matrix: swaps the first two axes, lanes stay last."""
    return jnp.swapaxes(x, 0, 1)


def matvec(matrix: jnp.ndarray, vector: jnp.ndarray) -> jnp.ndarray:
    """``matrix @ vector`` per lane: ``[R, C, 1|B]`` x ``[C, B]`` -> ``[R, B]`` (a matrix
    shared by all lanes is one matrix product)."""
    if matrix.shape[-1] == 1:
        return jnp.einsum("rc,cb->rb", matrix[..., 0], vector)
    # Per-lane matrices: multiply and sum over the columns, lanes stay the minor axis
    # (a batched dot would transpose the matrices to put the lanes first, every day).
    return jnp.sum(matrix * vector[None], axis=1)


def matmul(left: jnp.ndarray, matrix: jnp.ndarray) -> jnp.ndarray:
    """``left @ matrix`` per lane: ``[R, C, B]`` x ``[C, K, 1|B]`` -> ``[R, K, B]``."""
    if matrix.shape[-1] == 1:
        return jnp.einsum("rcb,ck->rkb", left, matrix[..., 0])
    return jnp.sum(left[:, :, None] * matrix[None], axis=1)


def lanes_first(x: jnp.ndarray) -> jnp.ndarray:
    """Per-lane results ``[..., B]`` as ``[B, ...]`` (the scenario axis of the results)."""
    return jnp.moveaxis(x, -1, 0)
