"""Training feedback: what each ``verbose`` level prints, and where."""

import io
import re
import sys

import pytest

from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor

from .helpers import NOISY_EARLY_STOPPING, fast

ESCAPE = "\x1b"
ES = {**NOISY_EARLY_STOPPING, "patience": 5}


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self):
        return True


def table(lines):
    """The header and rows of the first epoch table in ``lines``."""
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("epoch"))
    assert set(lines[start + 1]) <= {"-", " "}  # the rule under the header
    rows = []
    for line in lines[start + 2 :]:
        if not re.match(r"\s*\d+\s", line):
            break
        rows.append(line)
    return lines[start].split(), rows


def test_verbose_0_prints_nothing(noisy, capsys):
    X, y = noisy
    RegularizedMLPClassifier(**ES, verbose=0).fit(X, y)
    assert capsys.readouterr() == ("", "")


def test_verbose_1_prints_one_aligned_line_per_epoch(noisy, capsys):
    X, y = noisy
    est = RegularizedMLPClassifier(**fast(max_iter=4), verbose=1).fit(X, y)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    columns, rows = table(lines)
    # the default alpha is on; the activity penalty is off and not shown
    assert columns == ["epoch", "train_loss", "data_loss", "norm_penalty", "dur"]
    assert len(rows) == est.n_iter_ == 4 and len(lines) == 2 + 4
    assert len({len(line) for line in lines}) == 1  # header, rule, rows aligned
    for epoch, row in enumerate(rows, start=1):
        cells = row.split()
        assert int(cells[0]) == epoch
        assert float(cells[1]) == pytest.approx(
            est.history_[epoch - 1]["train_loss"], abs=1e-4
        )
        assert cells[-1].endswith("s")
    assert ESCAPE not in out and err == ""


def test_verbose_1_without_penalties_shows_the_training_loss_only(noisy, capsys):
    X, y = noisy
    RegularizedMLPRegressor(**fast(max_iter=2), alpha=0.0, verbose=1).fit(X, y)
    columns, _ = table(capsys.readouterr().out.splitlines())
    assert columns == ["epoch", "train_loss", "dur"]


def test_verbose_1_shows_each_active_penalty(noisy, capsys):
    X, y = noisy
    RegularizedMLPClassifier(**fast(max_iter=2), activity_alpha=1e-4, verbose=1).fit(
        X, y
    )
    columns, _ = table(capsys.readouterr().out.splitlines())
    assert columns[2:-1] == ["data_loss", "norm_penalty", "activity_penalty"]


def test_verbose_1_early_stopping_and_refit(noisy, capsys):
    X, y = noisy
    est = RegularizedMLPClassifier(**ES, refit="epochs", verbose=1).fit(X, y)
    assert est.n_iter_ == est.best_epoch_ < len(est.history_) < ES["max_iter"]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "Training on 150 rows; early stopping validates on the other 50 (patience=5)."
    )
    columns, rows = table(lines)
    assert columns == [
        "epoch",
        "train_loss",
        "data_loss",
        "norm_penalty",
        "valid_loss",
        "dur",
    ]
    assert len(rows) == len(est.history_)
    assert len({len(line) for line in lines[1 : 3 + len(rows)]}) == 1  # aligned
    # a mark in its own column on each improving epoch, the last on the best
    marked = [int(row.split()[0]) for row in rows if row.split()[-2] == "*"]
    assert marked[0] == 1 and marked[-1] == est.best_epoch_
    assert all(len(row.split()) == len(columns) for row in rows if "*" not in row)
    stop, refit = lines[3 + len(rows)], lines[4 + len(rows)]
    assert stop == (
        f"Stopped early after epoch {len(est.history_)}: the validation score did "
        "not improve by more than tol=0.0001 in 5 epochs. Restored the parameters "
        f"of epoch {est.best_epoch_}, the best."
    )
    assert refit == (
        f"Refit on all 200 rows for {est.best_epoch_} epochs (refit='epochs')."
    )
    columns, refit_rows = table(lines[4 + len(rows) :])
    assert "valid_loss" not in columns and len(refit_rows) == est.refit_n_iter_
    assert len(lines) == 5 + len(rows) + 2 + len(refit_rows)
    assert not any(ESCAPE in line for line in lines)


def test_verbose_1_names_the_scorer_column_and_the_updates_refit(noisy, capsys):
    X, y = noisy
    est = RegularizedMLPClassifier(
        **ES, scoring="accuracy", refit="updates", verbose=1
    ).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    columns, rows = table(lines)
    assert columns[-3:] == ["valid_loss", "valid_score", "dur"]
    assert f"for {est.refit_t_} updates (refit='updates')." in "\n".join(lines)


def test_verbose_1_says_when_max_iter_ends_early_stopping(noisy, capsys):
    X, y = noisy
    est = RegularizedMLPClassifier(**{**ES, "max_iter": 3}, verbose=1).fit(X, y)
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("Reached max_iter at epoch 3 without stopping early")
    assert f"epoch {est.best_epoch_}" in last


def test_verbose_1_colours_the_best_epoch_only_on_a_terminal(noisy, monkeypatch):
    X, y = noisy
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    RegularizedMLPClassifier(**ES, verbose=1).fit(X, y)
    rows = [line for line in terminal.getvalue().splitlines() if line.endswith("s")]
    coloured = [row for row in rows if ESCAPE in row]
    assert coloured and all("*" in row for row in coloured)
    plain = re.compile(r"\x1b\[[0-9;]*m")
    widths = {len(plain.sub("", row)) for row in rows if re.match(r"\s*\d", row)}
    assert len(widths) == 1  # colour codes do not shift the columns


def test_partial_fit_prints_the_header_once(noisy, capsys):
    X, y = noisy
    est = RegularizedMLPClassifier(**fast(), verbose=1)
    est.partial_fit(X, y, classes=[0, 1])
    est.partial_fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 2
    assert [int(line.split()[0]) for line in lines[2:]] == [1, 2]


def test_verbose_2_adds_a_progress_bar_over_the_whole_fit(noisy, monkeypatch):
    X, y = noisy
    terminal = Terminal()  # standard output and error, as on a terminal
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setattr(sys, "stderr", terminal)
    est = RegularizedMLPClassifier(**ES, refit="epochs", verbose=2).fit(X, y)
    text = terminal.getvalue()
    # what the terminal shows: each line as last redrawn after a carriage return
    screen = [line.split("\r")[-1] for line in text.split("\n")]
    columns, rows = table(screen)  # verbose=1's table is printed too
    assert len(rows) == len(est.history_)
    # the bar counts epochs of the whole fit and estimates the time left
    assert re.search(r"training +\d+/300 epochs .*elapsed, \d\d:\d\d left", text)
    # early stopping completes and closes the bar before saying that it stopped
    done = len(est.history_)
    stopped = next(
        i for i, line in enumerate(screen) if line.startswith("Stopped early")
    )
    assert screen[stopped - 1].startswith(
        f"training {done:>3}/300 epochs, stopped early 100%"
    )
    assert not any("training " in line for line in screen[stopped:])
    refit = est.refit_n_iter_
    assert any(
        line.startswith(f"refit {refit}/{refit} epochs 100%")
        for line in screen[stopped:]
    )


def test_verbose_2_draws_no_bar_into_a_file_or_pipe(noisy, capsys):
    X, y = noisy
    est = RegularizedMLPClassifier(**ES, refit="epochs", verbose=2).fit(X, y)
    out, err = capsys.readouterr()  # neither is a terminal
    assert "\r" not in err and "\r" not in out and ESCAPE not in err
    done, refit = len(est.history_), est.refit_n_iter_
    lines = err.splitlines()
    assert len(lines) == 2  # one line per training call, at its end
    assert re.fullmatch(
        rf"training {done:>3}/300 epochs, stopped early in \d\d:\d\d", lines[0]
    )
    assert re.fullmatch(rf"refit {refit}/{refit} epochs in \d\d:\d\d", lines[1])
    columns, rows = table(out.splitlines())  # the epoch table is unchanged
    assert len(rows) == done
