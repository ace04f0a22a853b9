"""Warnings for settings that a fit ignores.

scikit-learn warns when one of its estimators is given a setting it will not
use (``MLPClassifier`` clips ``batch_size``, ``LogisticRegression`` ignores
``l1_ratio`` without the elastic-net penalty); sklreg does the same, naming
the parameter, so that a setting that does nothing never passes unnoticed.
"""

from .utils import warn


def warn_ignored_settings(plan, n_train_rows: int) -> None:
    """Warn (``UserWarning``) once for each setting of the resolved ``plan``
    (:class:`sklreg._plan.Plan`) that a fit on ``n_train_rows`` training rows
    ignores.

    - ``scoring`` without ``early_stopping``: nothing is validated.
    - ``tie_alpha > 0`` without ``tie_groups``: nothing is tied.
    - an integer ``batch_size`` larger than the training rows: clipped to
      them (the rows left after the early-stopping split, if any).
    - ``member_sharing='batch'`` with ``n_members=1``: one network shares
      with no one.
    """
    for message in _ignored_settings(plan, n_train_rows):
        warn(message, UserWarning)


def _ignored_settings(plan, n_train_rows):
    schedule, objective = plan.schedule, plan.objective
    if schedule.scoring is not None and not schedule.early_stopping:
        yield (
            f"scoring={schedule.scoring!r} is ignored: it is the validation "
            "score that early stopping monitors, and early_stopping=False. Set "
            "early_stopping=True to use it."
        )
    if objective.tie_alpha > 0 and objective.tie_groups is None:
        yield (
            f"tie_alpha={objective.tie_alpha!r} is ignored: tie_groups=None ties "
            "no parameters. Set tie_groups ('tasks', or groups of parameter "
            "names) to tie some."
        )
    architecture = plan.architecture
    if architecture.member_sharing != "none" and not architecture.ensemble:
        yield (
            f"member_sharing={architecture.member_sharing!r} is ignored: "
            "n_members=1 trains one network, which shares its weights with no "
            "other member. Set n_members > 1 for an ensemble."
        )
    batch_size = plan.optimization.batch_size
    if batch_size != "auto" and batch_size > n_train_rows:
        yield (
            f"batch_size={batch_size!r} is larger than the {n_train_rows} "
            f"training rows; it is clipped to {n_train_rows} (one minibatch "
            "per epoch)."
        )
