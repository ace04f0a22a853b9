"""Regularization penalties: pure functions on tensors and the objects that apply them.

``_functional`` holds the maths (``l1_norm``, ``squared_l2_norm``,
``elastic_net_norm``, and ``norm_shares``, the L1 and squared-L2 parts of
each; for tying ``pairwise_l1_norm`` and ``pairwise_squared_l2_norm``;
``soft_threshold_``, the step of proximal L1; and for the group lasso on
the inputs ``input_group_norms`` and ``group_soft_threshold_``);
``_penalty`` holds small penalty objects that know which tensors they apply
to and how strongly. Each penalty object has a ``name``, the key under
which its value is recorded per epoch in ``history_``. ``_tying`` turns
``tie_groups`` into the groups of parameter names the tie penalty receives.
"""

from ._functional import (
    NORMS,
    TIE_NORMS,
    elastic_net_norm,
    group_soft_threshold_,
    input_group_norms,
    l1_norm,
    norm_shares,
    pairwise_l1_norm,
    pairwise_squared_l2_norm,
    soft_threshold_,
    squared_l2_norm,
)
from ._penalty import (
    L1_METHODS,
    PENALTY_TERMS,
    ActivityPenalty,
    FeatureGroupPenalty,
    Penalty,
    TiePenalty,
    WeightNormPenalty,
)
from ._tying import check_tie_group_names, resolve_tie_groups

__all__ = [
    "L1_METHODS",
    "NORMS",
    "PENALTY_TERMS",
    "TIE_NORMS",
    "ActivityPenalty",
    "FeatureGroupPenalty",
    "Penalty",
    "TiePenalty",
    "WeightNormPenalty",
    "check_tie_group_names",
    "elastic_net_norm",
    "group_soft_threshold_",
    "input_group_norms",
    "l1_norm",
    "norm_shares",
    "pairwise_l1_norm",
    "pairwise_squared_l2_norm",
    "resolve_tie_groups",
    "soft_threshold_",
    "squared_l2_norm",
]
