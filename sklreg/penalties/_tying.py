"""Which parameters ``tie_groups`` ties: checking the names, resolving ``'tasks'``.

The penalty itself is :class:`~sklreg.penalties.TiePenalty`; these helpers
turn the estimator's ``tie_groups`` into the groups of parameter names it
receives. :func:`check_tie_group_names` applies the rules that need no
network (before anything is built); :func:`resolve_tie_groups` checks the
names and shapes against the network.
"""

from __future__ import annotations


def check_tie_group_names(tie_groups) -> tuple[tuple[str, ...], ...]:
    """Explicit ``tie_groups`` as a tuple of groups of names; the rules that
    need no network (each group a sequence of two or more distinct names)."""
    groups = []
    for group in tie_groups:
        try:
            names = None if isinstance(group, str) else list(group)
        except TypeError:  # not a sequence
            names = None
        if names is None or not all(isinstance(name, str) for name in names):
            raise ValueError(
                "The 'tie_groups' parameter must be None, 'tasks', or a sequence "
                "of groups, each a sequence of parameter names (e.g. "
                "[['towers.0.output.weight', 'towers.1.output.weight']]). Got "
                f"the group {group!r} in {tie_groups!r}."
            )
        names = [str(name) for name in names]  # NumPy strings too
        if len(set(names)) < 2:
            raise ValueError(
                f"tie_groups has the group {names!r}, which names fewer than two "
                "distinct parameters: a group ties two or more parameters."
            )
        if len(set(names)) < len(names):
            twice = next(name for name in names if names.count(name) > 1)
            raise ValueError(
                f"tie_groups names {twice!r} twice in the group {names!r}."
            )
        groups.append(tuple(names))
    return tuple(groups)


def resolve_tie_groups(tie_groups, module) -> tuple[tuple[str, ...], ...]:
    """The groups of parameter names of ``module`` to tie, checked against it.

    ``'tasks'`` becomes the groups of corresponding tower weights that the
    module lists (see :meth:`sklreg.nn.Network.tower_weight_groups`):
    biases are not tied, and output heads only to heads of their shape.
    Explicit groups must name parameters of ``module`` of one shape.
    """
    if tie_groups is None:
        return ()
    if isinstance(tie_groups, str):  # 'tasks'
        groups = module.tower_weight_groups()
        if groups is None:
            raise ValueError(
                "tie_groups='tasks' ties the towers of a network with one "
                f"tower per task; {type(module).__name__} has none."
            )
        return tuple(map(tuple, groups))
    shapes = {name: tuple(p.shape) for name, p in module.named_parameters()}
    for group in tie_groups:
        unknown = [name for name in group if name not in shapes]
        if unknown:
            raise ValueError(
                f"tie_groups names {unknown[0]!r}, which is not a parameter "
                "of this network. Its parameters (as in parameter_names_) "
                f"are: {', '.join(shapes)}."
            )
        if len({shapes[name] for name in group}) > 1:
            found = ", ".join(f"{name!r} {shapes[name]}" for name in group)
            raise ValueError(
                "tie_groups ties tensors of different shapes: "
                f"{found}. The parameters of a group must have one shape."
            )
    return tie_groups
