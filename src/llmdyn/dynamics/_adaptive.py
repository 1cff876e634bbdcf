"""Adaptive policies: phase-based (paper B.4), a bandit baseline, and MPC.

All three decide for many paths at once (``decide_batch``) and reuse that rule
for a live session (``decide``, a batch of one, plus a reason). None keeps
per-session state: the bandit recomputes its arm statistics from the history
each turn, so one object serves any number of concurrent sessions.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import ConfigError
from ._batch import BatchHistory, batch_from_history
from ._model import DriftModel
from ._moments import psd_root
from ._policy import Decision, History
from ._utility import Utility, make_utility

BANDIT_ALGORITHMS = ("ucb1", "thompson")


# -- shared pieces -------------------------------------------------------------
def _column_map(own: Sequence[str], batch: BatchHistory) -> np.ndarray:
    """Index in ``batch.strategies`` of each of ``own`` (ConfigError if absent)."""
    missing = [s for s in own if s not in batch.strategies]
    if missing:
        raise ConfigError(f"strategies {missing} are not among the evaluated ones {list(batch.strategies)}")
    return np.array([batch.strategies.index(s) for s in own], dtype=int)


def _as_int(spec: str, key: str, value: Any, low: int = 0) -> int:
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"policy {spec!r}: option {key}={value!r} must be an integer") from None
    if out < low:
        raise ConfigError(f"policy {spec!r}: option {key}={out} must be at least {low}")
    return out


def _as_float(spec: str, key: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"policy {spec!r}: option {key}={value!r} must be a number") from None


def _utility_from(spec: str, objectives: Sequence[str], opts: dict[str, Any]) -> Utility:
    weights = opts.pop("weights", None)
    if isinstance(weights, str):
        try:
            weights = [float(w) for w in weights.replace("/", ",").replace(":", ",").split(",") if w]
        except ValueError:
            raise ConfigError(f"policy {spec!r}: weights {weights!r} must be numbers like 1/1/2") from None
    cons = opts.pop("constraints", "default")
    if isinstance(cons, str) and cons != "default":
        cons = cons.replace("+", ",")
    return make_utility(objectives, opts.pop("utility", None), weights, cons)


def _check_left(spec: str, opts: dict[str, Any]) -> None:
    from ._control import COMMON_OPTIONS

    unknown = sorted(k for k in opts if k not in COMMON_OPTIONS)
    if unknown:
        raise ConfigError(f"policy {spec!r}: unknown option(s) {', '.join(unknown)}")


def _session_seed(seed: int, session: str | None, t: int) -> np.random.Generator:
    """A generator fixed by (seed, session, turn): the same draw on resume."""
    key = zlib.crc32((session or "").encode()) if session else 0
    return np.random.default_rng([seed, key, t])


@dataclass(frozen=True, eq=False)
class ModelStack:
    """Per-strategy drift models stacked into arrays (S, ...) for fancy indexing."""

    strategies: tuple[str, ...]
    A: np.ndarray
    b: np.ndarray
    Q: np.ndarray
    L: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    objectives: tuple[str, ...]

    @classmethod
    def from_models(cls, models: Mapping[str, DriftModel]) -> "ModelStack":
        """Stack ``models`` in their mapping order."""
        names = tuple(models)
        ms = [models[s] for s in names]
        first = ms[0]
        return cls(
            strategies=names,
            A=np.stack([m.A for m in ms]),
            b=np.stack([m.b for m in ms]),
            Q=np.stack([m.Q for m in ms]),
            L=np.stack([m.diffusion for m in ms]),
            lower=first.lower,
            upper=first.upper,
            objectives=first.objectives,
        )


def k_step_maps(models: Sequence[DriftModel], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Affine k-step law of each model's h = 1 map, stacked over models.

    After ``k`` steps from ``x`` the state is Gaussian with mean ``M x + c`` and
    covariance ``P`` (moments from :func:`discrete_moments` started at 0; ``M``
    is ``(I + A)^k``). Shapes (S, n, n), (S, n), (S, n, n).
    """
    from ._moments import discrete_moments

    n = models[0].n
    laws = [discrete_moments(m, np.zeros(n), k) for m in models]
    M = np.stack([np.linalg.matrix_power(m.step_matrix, k) for m in models])
    c = np.stack([mo.mean[-1] for mo in laws])
    P = np.stack([mo.cov[-1] for mo in laws])
    return M, c, P


# -- phase-based ---------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PhasePolicy:
    """Explore, exploit, avoid boundaries (paper Appendix B.4).

    For the first ``explore`` turns, use the best strategy whose fitted spectrum
    is oscillatory (broad coverage); then the best exponential one (fast,
    predictable convergence). "Best" is the utility of the strategy's
    equilibrium clipped to the box. A boundary-attracting strategy is left as
    soon as the state is within ``margin`` of the lower bound of an objective
    its drift pushes down.
    """

    models: Mapping[str, DriftModel]
    utility: Utility
    explore: int = 2
    margin: float = 2.0
    regime_options: Mapping[str, float] = field(default_factory=dict)
    _kinds: tuple[str, ...] = field(init=False, repr=False)
    _scores: np.ndarray = field(init=False, repr=False)
    _stack: ModelStack = field(init=False, repr=False)
    _explore_order: np.ndarray = field(init=False, repr=False)
    _exploit_order: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        stack = ModelStack.from_models(self.models)
        kinds = tuple(m.regime(**self.regime_options).kind for m in self.models.values())
        eq = np.array([np.clip(m.equilibrium().point, stack.lower, stack.upper) for m in self.models.values()])
        scores = self.utility.value(eq) - self.utility.shortfall(eq)
        by_score = np.argsort(-scores, kind="stable")
        kind_arr = np.array(kinds)
        exploit = np.concatenate([by_score[kind_arr[by_score] == "exponential"],
                                  by_score[kind_arr[by_score] != "exponential"]])
        explore = np.concatenate([by_score[kind_arr[by_score] == "oscillatory"],
                                  exploit[kind_arr[exploit] != "oscillatory"]])
        for k, v in (("_kinds", kinds), ("_scores", scores), ("_stack", stack),
                     ("_explore_order", explore), ("_exploit_order", exploit)):
            object.__setattr__(self, k, v)

    @property
    def name(self) -> str:
        """``phase``."""
        return "phase"

    @property
    def strategies(self) -> tuple[str, ...]:
        """Strategies this policy chooses among."""
        return self._stack.strategies

    @property
    def kinds(self) -> dict[str, str]:
        """Regime of each strategy's fitted model."""
        return dict(zip(self.strategies, self._kinds))

    def _near_boundary(self, x: np.ndarray) -> np.ndarray:
        """(P, S): strategy s is boundary-attracting and pushes x toward a near lower bound."""
        st = self._stack
        drift = np.einsum("sij,pj->psi", st.A, x) + st.b  # (P, S, n)
        near = (x - st.lower) < self.margin  # (P, n)
        threat = np.any(near[:, None, :] & (drift < 0), axis=-1)
        boundary = np.array([k == "boundary" for k in self._kinds])
        return threat & boundary[None, :]

    def _choose(self, batch: BatchHistory) -> tuple[np.ndarray, np.ndarray, str]:
        """Own-strategy index per path, the blocked mask, and the phase name."""
        explore = batch.t < self.explore and "oscillatory" in self._kinds
        order = self._explore_order if explore else self._exploit_order
        blocked = self._near_boundary(batch.current)
        allowed = ~blocked[:, order]
        first = np.where(allowed.any(axis=1), allowed.argmax(axis=1), 0)
        return order[first], blocked, "explore" if explore else "exploit"

    def decide_batch(self, history: BatchHistory) -> np.ndarray:
        """Strategy index (into ``history.strategies``) for every path."""
        own, _, _ = self._choose(history)
        return _column_map(self.strategies, history)[own]

    def decide(self, history: History) -> Decision:
        """The phase's strategy for the next turn, with the reason."""
        batch = batch_from_history(history, self.strategies, self._stack.objectives)
        own, blocked, phase = self._choose(batch)
        s = self.strategies[int(own[0])]
        left = [self.strategies[i] for i in np.flatnonzero(blocked[0])]
        if phase == "explore":
            why = f"explore (turn {batch.t + 1} of {self.explore}): {s} is {self.kinds[s]}"
        else:
            why = f"exploit: {s} is {self.kinds[s]}"
        why += f", equilibrium utility {self._scores[int(own[0])]:.2f}"
        if left:
            why += f"; avoiding boundary-attracting {', '.join(left)} near the box's lower edge"
        return Decision(s, why)


def phase_from_options(spec: str, models: Mapping[str, DriftModel], opts: dict[str, Any]) -> PhasePolicy:
    """Build a :class:`PhasePolicy` from ``make_policy`` options."""
    opts = dict(opts)
    objectives = next(iter(models.values())).objectives
    utility = _utility_from(spec, objectives, opts)
    explore = _as_int(spec, "explore", opts.pop("explore", 2))
    margin = _as_float(spec, "margin", opts.pop("margin", 2.0))
    regime = {k: _as_float(spec, k, opts.pop(k)) for k in ("zero_tol", "imag_tol", "imag_rel_tol") if k in opts}
    _check_left(spec, opts)
    return PhasePolicy(dict(models), utility, explore=explore, margin=margin, regime_options=regime)


# -- bandit ----------------------------------------------------------------------
@dataclass(frozen=True)
class BanditPolicy:
    """Model-free baseline: UCB1 or Thompson sampling over strategies.

    The reward of a step is the utility gain it produced; arm statistics are
    recomputed from the session's own history every turn (no shared state).
    UCB1 tries each strategy once, then picks the largest
    ``mean + c √(2 ln t / n_s)``; Thompson draws from a Gaussian posterior of
    each arm's mean reward (prior ``N(0, prior_sd²)``) with a generator fixed
    by (seed, session, turn), so a resumed session decides the same.
    """

    strategies: tuple[str, ...]
    utility: Utility
    algorithm: str = "ucb1"
    c: float = 1.0
    prior_sd: float = 1.0
    seed: int = 0
    #: True when the objectives were not given: the utility follows each history's objectives.
    adapt_objectives: bool = False

    def __post_init__(self) -> None:
        if self.algorithm not in BANDIT_ALGORITHMS:
            raise ConfigError(
                f"bandit algorithm {self.algorithm!r} is unknown; use one of {', '.join(BANDIT_ALGORITHMS)}"
            )

    @property
    def name(self) -> str:
        """``bandit:ucb1`` or ``bandit:thompson``."""
        return f"bandit:{self.algorithm}"

    def arm_stats(self, batch: BatchHistory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Counts, mean rewards and reward sums of squares per path and strategy, (P, S)."""
        S = len(self.strategies)
        P = batch.n_paths
        u = self.utility.value(batch.states)  # (t+1, P)
        gains = np.diff(u, axis=0)  # (t, P)
        own = {s: i for i, s in enumerate(self.strategies)}
        to_own = np.array([own.get(s, -1) for s in batch.strategies] + [-1], dtype=int)
        ch = to_own[np.where(batch.choices >= 0, batch.choices, -1)] if batch.t else np.zeros((0, P), int)
        onehot = (ch[..., None] == np.arange(S)).astype(float)  # (t, P, S)
        counts = onehot.sum(axis=0)
        sums = np.einsum("tp,tps->ps", gains, onehot)
        sq = np.einsum("tp,tps->ps", gains**2, onehot)
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        return counts, means, sq

    def _choose(self, batch: BatchHistory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        counts, means, sq = self.arm_stats(batch)
        untried = counts == 0
        if self.algorithm == "ucb1":
            total = np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
            bonus = self.c * np.sqrt(2.0 * np.log(total) / np.maximum(counts, 1.0))
            score = np.where(untried, np.inf, means + bonus)
            # First untried arm in order: argmax returns the first of equal infinities.
            return score.argmax(axis=1), counts, means
        # Thompson: Normal posterior of the mean with known-variance approximation.
        prec = 1.0 / self.prior_sd**2 + counts
        post_mean = np.divide(counts * means, prec)
        post_sd = 1.0 / np.sqrt(prec)
        if batch.sessions and len(batch.sessions) == batch.n_paths and batch.n_paths == 1:
            rng = _session_seed(self.seed, batch.sessions[0], batch.t)
        else:
            rng = np.random.default_rng([self.seed, batch.t])
        draw = post_mean + post_sd * rng.standard_normal(counts.shape)
        return draw.argmax(axis=1), counts, means

    def _for(self, objectives: Sequence[str]) -> "BanditPolicy":
        """This policy with its utility rebuilt on ``objectives`` if it adapts to them."""
        if not self.adapt_objectives or not objectives or set(objectives) == set(self.utility.objectives):
            return self
        utility = make_utility(tuple(objectives), self.utility.kind)
        return replace(self, utility=utility, adapt_objectives=False)

    def decide_batch(self, history: BatchHistory) -> np.ndarray:
        """Strategy index (into ``history.strategies``) for every path."""
        own, _, _ = self._for(history.objectives)._choose(history)
        return _column_map(self.strategies, history)[own]

    def decide(self, history: History) -> Decision:
        """The bandit's pick for the next turn, with the arm statistics."""
        if self._for(history.objectives) is not self:
            return self._for(history.objectives).decide(history)
        batch = batch_from_history(history, self.strategies, self.utility.objectives)
        own, counts, means = self._choose(batch)
        i = int(own[0])
        s = self.strategies[i]
        if counts[0, i] == 0:
            why = f"{self.algorithm}: trying {s} (not used yet in this session)"
        else:
            stats = ", ".join(f"{n} {m:+.2f}×{int(c)}" for n, m, c in zip(self.strategies, means[0], counts[0]))
            why = f"{self.algorithm}: {s} (mean utility gain×tries: {stats})"
        return Decision(s, why)


def bandit_from_options(spec: str, strategies: Sequence[str], opts: dict[str, Any]) -> BanditPolicy:
    """Build a :class:`BanditPolicy` from ``make_policy`` options."""
    opts = dict(opts)
    given = opts.pop("objectives", None)
    objectives = given or ("security", "efficiency", "functionality")
    utility = _utility_from(spec, tuple(objectives), opts)
    algorithm = str(opts.pop("algorithm", "ucb1")).lower()
    c = _as_float(spec, "c", opts.pop("c", 1.0))
    prior_sd = _as_float(spec, "prior_sd", opts.pop("prior_sd", 1.0))
    seed = _as_int(spec, "seed", opts.pop("seed", 0))
    opts.pop("bounds", None)
    _check_left(spec, opts)
    return BanditPolicy(tuple(strategies), utility, algorithm=algorithm, c=c, prior_sd=prior_sd, seed=seed,
                        adapt_objectives=not given)


# -- model-predictive --------------------------------------------------------------
MPC_SEARCHES = ("sequence", "hold")
MAX_PLANS = 4096
_CHUNK = 4_000_000  # elements of the (paths, plans, samples, n) draw array per block


def plan_maps(models: Sequence[DriftModel], plans: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Affine law of the state after following each plan of strategies, stacked.

    ``plans`` is (J, H) indices into ``models``. Step by step,
    ``m <- (I+A_s) m + b_s`` and ``P <- (I+A_s) P (I+A_s)ᵀ + Q_s`` with the
    plan's strategy ``s``; after the plan the state from ``x`` is Gaussian with
    mean ``M x + c`` and covariance ``P``. Shapes (J, n, n), (J, n), (J, n, n).
    For a constant plan this equals :func:`k_step_maps`.
    """
    F = np.stack([m.step_matrix for m in models])
    b = np.stack([m.b for m in models])
    Q = np.stack([m.Q for m in models])
    J, H = plans.shape
    n = F.shape[1]
    M = np.broadcast_to(np.eye(n), (J, n, n)).copy()
    c = np.zeros((J, n))
    P = np.zeros((J, n, n))
    for h in range(H):  # a loop over the horizon, plans vectorised
        Fh = F[plans[:, h]]
        M = Fh @ M
        c = np.einsum("jik,jk->ji", Fh, c) + b[plans[:, h]]
        P = Fh @ P @ np.swapaxes(Fh, 1, 2) + Q[plans[:, h]]
    return M, c, 0.5 * (P + np.swapaxes(P, 1, 2))


@dataclass(frozen=True, eq=False)
class MPCPolicy:
    """Best expected utility ``horizon`` steps ahead under the fitted models.

    ``search="sequence"`` (default) scores every plan of ``horizon`` strategies
    (``S^horizon`` of them) and applies the first strategy of the best one, the
    receding-horizon rule; ``search="hold"`` scores each strategy held for the
    whole horizon. A plan's end state is Gaussian by the linear-SDE moment
    recursion; its expected utility (clipped to the box) comes from ``samples``
    fixed antithetic normal draws, so the worst-objective utility and
    constraints are handled alike. Constraints enter as a penalty (``penalty`` ×
    expected shortfall) or, with ``chance=α``, as a chance constraint: plans
    whose probability of a violation exceeds α are chosen only if all do (then
    the least likely).
    """

    models: Mapping[str, DriftModel]
    utility: Utility
    horizon: int = 1
    penalty: float = 2.0
    chance: float | None = None
    samples: int = 32
    seed: int = 0
    search: str = "sequence"
    _stack: ModelStack = field(init=False, repr=False)
    _plans: np.ndarray = field(init=False, repr=False)
    _M: np.ndarray = field(init=False, repr=False)
    _c: np.ndarray = field(init=False, repr=False)
    _noise: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ConfigError(f"mpc horizon must be at least 1, got {self.horizon}")
        if self.chance is not None and not 0.0 <= self.chance < 1.0:
            raise ConfigError(f"mpc chance level must lie in [0, 1), got {self.chance}")
        if self.search not in MPC_SEARCHES:
            raise ConfigError(f"mpc search {self.search!r} is unknown; use one of {', '.join(MPC_SEARCHES)}")
        stack = ModelStack.from_models(self.models)
        S = len(stack.strategies)
        models = list(self.models.values())
        if self.search == "hold" or self.horizon == 1:
            plans = np.repeat(np.arange(S)[:, None], self.horizon, axis=1)
            M, c, P = k_step_maps(models, self.horizon)
        else:
            if S**self.horizon > MAX_PLANS:
                raise ConfigError(
                    f"mpc: {S} strategies over {self.horizon} steps make {S ** self.horizon} plans "
                    f"(more than {MAX_PLANS}); use a shorter horizon or search=hold")
            plans = np.stack(np.meshgrid(*[np.arange(S)] * self.horizon, indexing="ij"), -1)
            plans = plans.reshape(-1, self.horizon)
            M, c, P = plan_maps(models, plans)
        half = max(1, self.samples // 2)
        z = np.random.default_rng(self.seed).standard_normal((half, stack.A.shape[1]))
        z = np.concatenate([z, -z])  # antithetic: the sample mean is exact for linear utilities
        noise = np.einsum("kj,sij->ski", z, psd_root(P))  # (J, K, n)
        for k, v in (("_stack", stack), ("_plans", plans), ("_M", M), ("_c", c), ("_noise", noise)):
            object.__setattr__(self, k, v)

    @property
    def name(self) -> str:
        """``mpc:<horizon>`` (``mpc:<horizon>,search=hold`` for held strategies)."""
        hold = ",search=hold" if self.search == "hold" and self.horizon > 1 else ""
        return f"mpc:{self.horizon}{hold}"

    @property
    def strategies(self) -> tuple[str, ...]:
        """Strategies this policy chooses among."""
        return self._stack.strategies

    def plan_scores(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Expected utility, shortfall, violation probability and score of every plan, each (P, J)."""
        P = x.shape[0]
        J, K, n = self._noise.shape
        out = {k: np.empty((P, J)) for k in ("utility", "shortfall", "violation")}
        step = max(1, _CHUNK // max(1, P * K * n))
        for j0 in range(0, J, step):  # blocks of plans bound the memory; paths stay vectorised
            j1 = min(J, j0 + step)
            mean = np.einsum("jik,pk->pji", self._M[j0:j1], x) + self._c[j0:j1]
            draws = np.clip(mean[:, :, None, :] + self._noise[None, j0:j1], self._stack.lower, self._stack.upper)
            out["utility"][:, j0:j1] = self.utility.value(draws).mean(axis=-1)
            out["shortfall"][:, j0:j1] = self.utility.shortfall(draws).mean(axis=-1)
            out["violation"][:, j0:j1] = self.utility.violated(draws).mean(axis=-1)
        score = out["utility"] - self.penalty * out["shortfall"]
        if self.chance is not None:
            score = np.where(out["violation"] > self.chance, -1e6 * (1.0 + out["violation"]), score)
        out["score"] = score
        return out

    def scores(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Per first strategy, the numbers of its best plan, each (P, S); ``plan`` holds the plan index."""
        sc = self.plan_scores(x)
        S = len(self.strategies)
        first = self._plans[:, 0]
        is_first = first[None, None, :] == np.arange(S)[None, :, None]  # (1, S, J)
        best_plan = np.where(is_first, sc["score"][:, None, :], -np.inf).argmax(axis=-1)  # (P, S)
        rows = np.arange(x.shape[0])[:, None]
        out = {k: v[rows, best_plan] for k, v in sc.items()}
        out["plan"] = best_plan
        return out

    def decide_batch(self, history: BatchHistory) -> np.ndarray:
        """Strategy index (into ``history.strategies``) for every path."""
        own = self._plans[self.plan_scores(history.current)["score"].argmax(axis=1), 0]
        return _column_map(self.strategies, history)[own]

    def decide(self, history: History) -> Decision:
        """The first strategy of the best plan, with the predictions."""
        batch = batch_from_history(history, self.strategies, self._stack.objectives)
        sc = {k: v[0] for k, v in self.scores(batch.current).items()}
        i = int(sc["score"].argmax())
        s = self.strategies[i]
        parts = ", ".join(f"{n} {u:.2f}" for n, u in zip(self.strategies, sc["utility"]))
        why = f"mpc: {s} has the best expected utility {self.horizon} step(s) ahead ({parts})"
        if self.horizon > 1 and self.search == "sequence":
            plan = "-".join(self.strategies[j] for j in self._plans[int(sc["plan"][i])])
            why += f"; plan {plan}"
        if self.utility.constraints:
            why += f"; P(violate {', '.join(map(str, self.utility.constraints))}) = {sc['violation'][i]:.2f}"
        return Decision(s, why)


def mpc_from_options(spec: str, models: Mapping[str, DriftModel], opts: dict[str, Any]) -> MPCPolicy:
    """Build an :class:`MPCPolicy` from ``make_policy`` options."""
    opts = dict(opts)
    objectives = next(iter(models.values())).objectives
    utility = _utility_from(spec, objectives, opts)
    horizon = _as_int(spec, "horizon", opts.pop("horizon", 1), low=1)
    penalty = _as_float(spec, "penalty", opts.pop("penalty", 2.0))
    chance = opts.pop("chance", None)
    chance = None if chance in (None, "", "none") else _as_float(spec, "chance", chance)
    samples = _as_int(spec, "samples", opts.pop("samples", 32), low=2)
    seed = _as_int(spec, "seed", opts.pop("seed", 0))
    search = str(opts.pop("search", "sequence")).lower()
    _check_left(spec, opts)
    return MPCPolicy(dict(models), utility, horizon=horizon, penalty=penalty, chance=chance,
                     samples=samples, seed=seed, search=search)
