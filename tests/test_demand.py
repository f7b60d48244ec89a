"""Model 2's demand, choice, billing and pricing, probed as an economist would.

Closed forms (nested logit, the Bertrand-Nash price of a symmetric duopoly), invariants
(a clone, a mix shift, seat revenue) and metamorphic relations on whole scenarios.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simlab
from simlab.engine import inputs_to_values, run_block
from simlab.experiment import simulate
from simlab.market import (
    best_response,
    logit_shares,
    nested_logit,
    own_price_elasticity,
    price_index_ratio,
)
from simlab.scenario.load import Scenario

CLOSED = ["openai", "anthropic", "google", "xai"]


def market(**overrides) -> dict:
    """A small scenario document: one token segment, three providers at fixed prices."""
    doc = {
        "name": "small",
        "title": "Test market",
        "start": "2026-01",
        "end": "2029-01",
        "segments": {
            "api": {
                "potential": 1e14,
                "adoption0": 0.5,
                "bass_p": 0.03,
                "bass_q": 0.0,
                "elasticity": 0.0,
                "beta_quality": 0.1,
                "beta_price": 2.5,
                "need": 100,
                "switching_time": 0.5,
            }
        },
        "providers": {
            "alpha": {"kind": "closed", "region": "us", "quality": 60, "price_in": 2.0,
                      "price_out": 2.0, "cost": 1.0},
            "beta": {"kind": "closed", "region": "us", "quality": 60, "price_in": 2.0,
                     "price_out": 2.0, "cost": 1.0},
            "gamma": {"kind": "open", "region": "cn", "quality": 55, "price_in": 0.5,
                      "price_out": 0.5, "cost": 0.3},
        },
    }  # fmt: skip
    for path, value in overrides.items():
        node = doc
        *parents, key = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[key] = value
    return doc


def run_point(doc: dict) -> dict[str, np.ndarray]:
    sc = Scenario.from_dict(doc)
    return run_block(sc, inputs_to_values(sc, None, 0, 1), paths=True).paths


# ------------------------------------------------------------------ the nested logit


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=2, max_size=8))
def test_nested_logit_with_lambda_one_is_the_plain_logit(u):
    utility = np.array(u)[:, None]
    nests = np.arange(len(u)) % 2
    got = nested_logit(utility, nests, np.ones((2, 1))).shares[:, 0]
    np.testing.assert_allclose(got, logit_shares(np.array(u)), rtol=1e-12, atol=1e-300)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-10, 10), min_size=3, max_size=6),
    st.floats(0.05, 1.0),
    st.floats(0.05, 1.0),
    st.floats(-10, 10),
)
def test_shares_and_the_outside_option_sum_to_one(u, lam_a, lam_b, u0):
    utility = np.array(u)[:, None]
    nests = np.arange(len(u)) % 2
    out = nested_logit(utility, nests, np.array([[lam_a], [lam_b]]), np.array([u0]))
    assert out.shares.sum() + out.outside[0] == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(out.nests[:, 0].sum() + out.outside[0], 1.0, rtol=1e-12)
    assert (out.shares >= 0).all() and (out.within <= 1 + 1e-15).all()


def test_two_nest_example_by_hand():
    # Nest A = {1, 2} with lambda 0.5, nest B = {3} with lambda 1, outside utility 0.
    u = np.array([1.0, 0.0, 0.5])
    d_a = np.exp(1.0 / 0.5) + np.exp(0.0 / 0.5)
    iv_a, iv_b = 0.5 * np.log(d_a), 0.5
    denom = 1.0 + np.exp(iv_a) + np.exp(iv_b)
    expected = [
        np.exp(iv_a) / denom * np.exp(2.0) / d_a,
        np.exp(iv_a) / denom * 1.0 / d_a,
        np.exp(iv_b) / denom,
    ]
    out = nested_logit(u[:, None], [0, 0, 1], np.array([[0.5], [1.0]]), np.array([0.0]))
    np.testing.assert_allclose(out.shares[:, 0], expected, rtol=1e-14)
    assert out.outside[0] == pytest.approx(1.0 / denom, rel=1e-14)
    assert out.inclusive[0] == pytest.approx(np.log(np.exp(iv_a) + np.exp(iv_b)), rel=1e-14)


def test_a_clone_barely_moves_its_nests_share_when_lambda_is_small():
    u = np.array([0.3, 0.0, 0.2])  # providers 0 and 1 in nest 0, provider 2 in nest 1
    lam = np.array([[0.1], [1.0]])
    before = nested_logit(u[:, None], [0, 0, 1], lam).nests[0, 0]
    cloned = nested_logit(np.r_[u, u[0]][:, None], [0, 0, 1, 0], lam).nests[0, 0]
    assert abs(cloned - before) < 0.02
    # With lambda = 1 (IIA) the same clone takes share from everyone.
    iia = nested_logit(np.r_[u, u[0]][:, None], [0, 0, 1, 0], np.ones((2, 1))).nests[0, 0]
    assert iia - nested_logit(u[:, None], [0, 0, 1], np.ones((2, 1))).nests[0, 0] > 0.05


def test_cloning_deepseek_in_the_baseline_barely_moves_the_open_share():
    base = simlab.load_scenario("baseline-2025").document
    doc = copy.deepcopy(dict(base))
    doc["nests"] = copy.deepcopy(doc["nests"])
    doc["nests"]["open"]["lam"] = 0.1
    clone = copy.deepcopy(doc)
    clone["providers"]["deepseek2"] = copy.deepcopy(doc["providers"]["deepseek"])
    clone["providers"]["deepseek2"]["label"] = "DeepSeek (clone)"
    one = simulate(Scenario.from_dict(doc)).metric("paid_share", "open", 2026).item()
    two = simulate(Scenario.from_dict(clone)).metric("paid_share", "open", 2026).item()
    assert abs(two - one) < 0.02  # buyers do not count a clone twice


# ------------------------------------------------------------------ the price index


def test_price_index_ratio_closed_forms():
    assert price_index_ratio(np.log(2.0), 0.0, 1.0) == pytest.approx(0.5)
    assert price_index_ratio(1.0, 1.0, 2.0) == 1.0  # nothing changed
    assert price_index_ratio(3.0, 1.0, 0.0) == 1.0  # prices do not enter utility


def test_a_mix_shift_at_constant_prices_leaves_volume_unchanged():
    # Different switching times move buyers between providers at different speeds;
    # prices are fixed, so the price index and the volume are the same step by step.
    start = {"alpha": 0.8, "beta": 0.1, "gamma": 0.1}  # away from the target: shares move
    slow = run_point(market(**{"segments.api.switching_time": 2.0, "segments.api.share0": start}))
    fast = run_point(market(**{"segments.api.switching_time": 0.1, "segments.api.share0": start}))
    assert np.abs(slow["share"] - fast["share"]).max() > 1e-3  # the mix does differ
    eps = market(
        **{
            "segments.api.elasticity": 1.0,
            "segments.api.switching_time": 2.0,
            "segments.api.share0": start,
        }
    )
    eps_fast = copy.deepcopy(eps)
    eps_fast["segments"]["api"]["switching_time"] = 0.1
    np.testing.assert_allclose(run_point(eps)["volume"], run_point(eps_fast)["volume"], rtol=1e-12)


def test_a_quality_gain_at_constant_price_lowers_the_index_and_raises_volume():
    u = np.array([0.0, 0.5])[:, None]
    better = u + np.array([0.4, 0.0])[:, None]
    lam = np.ones((1, 1))
    iv0 = nested_logit(u, [0, 0], lam).inclusive
    iv1 = nested_logit(better, [0, 0], lam).inclusive
    assert price_index_ratio(iv1, iv0, 2.0)[0] < 1.0
    doc = market(**{"segments.api.elasticity": 0.8})
    doc["events"] = {
        "up": {"type": "release", "provider": "gamma", "date": "2027-01", "quality": 70}
    }
    base, up = run_point(market(**{"segments.api.elasticity": 0.8})), run_point(doc)
    k = 12
    assert up["volume"][k, 0, 0] > base["volume"][k, 0, 0] * (1 + 1e-6)
    np.testing.assert_array_equal(up["volume"][:k], base["volume"][:k])


# ------------------------------------------------------------------ elasticities


def test_the_elasticity_helper_matches_finite_differences_of_demand():
    sc = simlab.load_scenario("baseline-2025")
    table = simlab.elasticities(sc)
    list_price = table.xs("developer", level="segment")["price"]
    h = 1e-5
    for name in ("openai", "anthropic", "deepseek", "qwen"):
        up, _ = simlab.demand_at(sc, {name: list_price[name] * (1 + h)})
        down, _ = simlab.demand_at(sc, {name: list_price[name] * (1 - h)})
        for segment in ("developer", "enterprise", "public"):
            fd = (np.log(up.loc[segment, name]) - np.log(down.loc[segment, name])) / (
                np.log1p(h) - np.log1p(-h)
            )
            assert table.loc[(name, segment), "elasticity"] == pytest.approx(fd, abs=1e-4)


def test_own_price_elasticity_closed_form():
    # Plain logit, no volume response: -alpha (1 - share).
    assert own_price_elasticity(2.0, 1.0, 0.3, 0.3, 0.3) == pytest.approx(-1.4)
    # A nest makes rivals inside it closer substitutes: more elastic.
    assert own_price_elasticity(2.0, 0.5, 0.3, 0.3, 0.3) < -1.4


def test_recalibrated_baseline_prices_on_the_elastic_side():
    sc = simlab.load_scenario("baseline-2025")
    best = simlab.revenue_maximising_prices(sc, CLOSED)
    assert not best["at_bound"].any()  # finite: over-pricing loses revenue
    table = simlab.elasticities(sc)
    api = table[table["billing"] == "tokens"].loc[CLOSED]
    assert (api["elasticity"] < -1).all()  # no closed lab faces inelastic demand


# ------------------------------------------------------------------ best response


@pytest.mark.parametrize(("lam", "eps"), [(1.0, 0.0), (0.6, 0.0), (0.6, 0.5)])
def test_symmetric_duopoly_converges_to_the_bertrand_nash_price(lam, eps):
    alpha, cost = 3.0, 1.0
    doc = market(**{"segments.api.beta_price": alpha, "segments.api.elasticity": eps})
    doc["end"] = "2034-01"  # 96 monthly reviews: simultaneous best responses converge
    del doc["providers"]["gamma"]
    doc["nests"] = {"closed": {"lam": lam}}
    for name in ("alpha", "beta"):
        doc["providers"][name]["pricing"] = {"rule": "best_response", "review": 1 / 12,
                                             "adjust": 1.0}  # fmt: skip
    price = run_point(doc)["price"]
    # Symmetric, one nest, no outside option: |eta| = alpha / (2 lam) + eps / 2.
    expected = cost / (1.0 - 1.0 / (alpha / (2 * lam) + eps / 2))
    np.testing.assert_allclose(price[-1, :, 0], expected, rtol=1e-6)


def test_best_response_satisfies_the_first_order_condition():
    # Asymmetric: two segments, an outside option, another nest, volume response.
    rng = np.random.default_rng(5)
    S, B = 2, 4
    args = {
        "own": rng.normal(0.0, 0.5, (S, B)),
        "alpha": rng.uniform(1.8, 3.0, (S, B)),
        "lam": rng.uniform(0.4, 1.0, B),
        "log_rivals_nest": rng.normal(0.0, 0.5, (S, B)),
        "log_other_nests": rng.normal(0.0, 0.5, (S, B)),
        "log_outside": rng.normal(-1.0, 0.5, (S, B)),
        "base_volume": rng.uniform(0.5, 2.0, (S, B)),
        "epsilon": rng.uniform(0.0, 0.8, (S, B)),
        "inclusive_ref": np.zeros((S, B)),
    }
    cost = rng.uniform(0.5, 1.5, B)
    price = best_response(np.log(cost * 2), cost, **args)

    def profit(p: np.ndarray) -> np.ndarray:
        x = np.log(p)
        a_p = (args["own"] - args["alpha"] * x) / args["lam"]
        log_d = np.logaddexp(a_p, args["log_rivals_nest"])
        iv_n = args["lam"] * log_d
        inside = np.logaddexp(iv_n, args["log_other_nests"])
        total = np.logaddexp(inside, args["log_outside"])
        share = np.exp(iv_n - total + a_p - log_d)
        volume = args["base_volume"] * np.exp(
            args["epsilon"] * (inside - args["inclusive_ref"]) / args["alpha"]
        )
        return ((volume * share).sum(axis=0)) * (p - cost)

    h = 1e-6
    slope = (profit(price * (1 + h)) - profit(price * (1 - h))) / (2 * h * price)
    np.testing.assert_allclose(slope * price / profit(price), 0.0, atol=1e-6)
    assert (profit(price) > profit(price * 1.05)).all() and (
        profit(price) > profit(price * 0.95)
    ).all()


def test_best_response_of_a_draw_does_not_depend_on_the_draws_solved_with_it():
    # Draws leave the iteration as they converge: each draw's price must be the bits it
    # gets when solved alone, whatever the others need (several providers, 3 segments).
    rng = np.random.default_rng(11)
    R, S, B = 2, 3, 64
    args = {
        "own": rng.normal(0.0, 1.0, (R, S, B)),
        "alpha": rng.uniform(1.2, 4.0, (S, B)),
        "lam": rng.uniform(0.3, 1.0, (R, B)),
        "log_rivals_nest": rng.normal(0.0, 1.0, (R, S, B)),
        "log_other_nests": rng.normal(0.0, 1.0, (R, S, B)),
        "log_outside": rng.normal(-1.0, 1.0, (S, B)),
        "base_volume": rng.uniform(0.1, 5.0, (R, S, B)),
        "epsilon": rng.uniform(0.0, 1.0, (S, B)),
        "inclusive_ref": rng.normal(0.0, 0.3, (S, B)),
        "ceiling": rng.uniform(2.0, 20.0, (R, B)),
    }
    cost = rng.uniform(0.2, 2.0, (R, B))
    start = np.log(cost * rng.uniform(1.0, 30.0, (R, B)))
    together = best_response(start, cost, **args, tol=1e-10)
    for b in range(B):
        alone = best_response(
            start[:, b : b + 1], cost[:, b : b + 1],
            **{k: v[..., b : b + 1] for k, v in args.items()}, tol=1e-10,
        )  # fmt: skip
        np.testing.assert_array_equal(alone[:, 0], together[:, b], err_msg=f"draw {b}")
    assert np.isfinite(together).all() and (together >= cost).all()


# ------------------------------------------------------------------ seats


def seat_market(free_share: float) -> dict:
    doc = market()
    doc["segments"]["apps"] = {
        "billing": "seats",
        "potential": 1e8,
        "adoption0": 0.4,
        "bass_p": 0.03,
        "bass_q": 0.2,
        "beta_quality": 0.1,
        "beta_price": 2.0,
        "need": 100,
        "seat_price": {"alpha": 20.0, "beta": 25.0},
        "free_share": free_share,
        "tokens_per_seat": 3e5,
        "intensity_growth": 0.2,
    }
    del doc["segments"]["api"]
    return doc


def test_seat_revenue_is_paying_seats_times_seat_price_exactly():
    sc = Scenario.from_dict(seat_market(0.9))
    rec = run_block(sc, inputs_to_values(sc, None, 0, 1), paths=True)
    p = rec.paths
    seats, revenue = p["seats"][:, :, 0], p["revenue"][:, :, 0]
    np.testing.assert_allclose(revenue[:, 0], seats[:, 0] * 20.0, rtol=1e-12)
    np.testing.assert_allclose(revenue[:, 1], seats[:, 1] * 25.0, rtol=1e-12)
    assert (revenue[:, 2] == 0).all() and (p["share"][:, 2, 0] == 0).all()  # sells no seats
    # Tokens served are every user's, paying or not; tokens per seat grow 20 %/yr (the
    # first step's at its midpoint, half a month in).
    users = p["volume"][:, 0, 0][:, None] * (seats / seats.sum(axis=1, keepdims=True))
    intensity = 1.2 ** (0.5 / 12)
    assert p["served"][0, 0, 0] == pytest.approx(users[0, 0] * 3e5 * intensity, rel=1e-9)


def test_free_users_add_cost_not_revenue():
    few, many = (simulate(Scenario.from_dict(seat_market(f))) for f in (0.5, 0.9))
    for name in ("alpha", "beta"):
        rev_few = few.metric("revenue", name).item()
        rev_many = many.metric("revenue", name).item()
        assert rev_many == pytest.approx(rev_few * 0.1 / 0.5, rel=1e-12)
        # Same users and tokens: the serving cost is the same, so fcf falls by the revenue.
        fcf_gap = few.metric("fcf", name).item() - many.metric("fcf", name).item()
        assert fcf_gap == pytest.approx(rev_few - rev_many, rel=1e-9)


# ------------------------------------------------------------------ pricing rules and measures


def test_share_defense_can_cut_at_its_first_review():
    doc = market(**{"segments.api.switching_time": 0.05})
    doc["providers"]["alpha"]["pricing"] = {
        "rule": "share_defense", "review": 0.25, "trigger": 0.05, "cut": 0.2, "lag": 0.0,
        "drift": 0.0, "floor": 0.0,
    }  # fmt: skip
    doc["events"] = {"cheap": {"type": "price", "provider": "gamma", "date": "2026-02",
                               "price_in": 0.1, "price_out": 0.1}}  # fmt: skip
    price = run_point(doc)["price"][:, 0, 0]
    # First review at step 3 (a quarter): the share fell since the start, so it cuts then.
    assert price[2] == price[0] and price[3] == pytest.approx(0.8 * price[0], rel=1e-12)


def test_fisher_index_is_one_when_only_the_mix_moves():
    doc = market()
    doc["segments"]["api"]["share0"] = {"alpha": 0.9, "beta": 0.05, "gamma": 0.05}
    res = simulate(Scenario.from_dict(doc), paths=True)
    shares = res.paths.share.isel(draw=0).to_numpy()
    assert np.abs(shares[-1] - shares[0]).max() > 0.05  # the mix moved a lot
    assert res.metric("fisher_index", "all").item() == pytest.approx(1.0, abs=1e-12)
    # The share-weighted index calls that mix shift a price change.
    assert abs(res.metric("price_index", "all").item() - 1.0) > 0.05


def test_revenue_share_paid_share_and_token_share_are_shares():
    res = simulate(simlab.load_scenario("baseline-2025"))
    for name in ("share", "revenue_share", "paid_share", "served_share"):
        total = res.metric(name, "all", 2030).item()
        assert total == pytest.approx(1.0, rel=1e-5), name


# ------------------------------------------------------------------ whole-scenario relations


def _scaled(node: object, factor: float) -> object:
    """A figure (a number or a {value, dist, ...} table) times ``factor``."""
    if isinstance(node, dict):
        out = dict(node)
        for key in ("value", "low", "mode", "high"):
            if key in out:
                out[key] = out[key] * factor
        if "values" in out:
            out["values"] = [v * factor for v in out["values"]]
        return out
    return node * factor  # type: ignore[operator]


def test_a_change_of_currency_changes_no_quantity_and_scales_revenue():
    # Every price and cost times 3 (list prices, serving costs, seat prices, self-hosting
    # costs, and the spend ceilings, amounts of money too): utility shifts by -alpha ln 3
    # for every option alike, best-response and cost-plus prices scale with cost, the
    # price index moves by the same factor at the start and later. So shares and tokens
    # stay, and revenue is 3 times as large.
    base = simlab.load_scenario("baseline-2025")
    doc = copy.deepcopy(dict(base.document))
    for prov in doc["providers"].values():
        for key in ("price_in", "price_out", "cost"):
            prov[key] = _scaled(prov[key], 3.0)
    for seg in doc["segments"].values():
        for name, price in seg.get("seat_price", {}).items():
            seg["seat_price"][name] = _scaled(price, 3.0)
        if "outside" in seg:
            seg["outside"]["hosting_cost"] = _scaled(seg["outside"]["hosting_cost"], 3.0)
        if "spend_ceiling" in seg:
            seg["spend_ceiling"] = _scaled(seg["spend_ceiling"], 3.0)
    one, three = simulate(base), simulate(Scenario.from_dict(doc))
    for year in (2026, 2030, 2035):
        for name in ("share", "paid_share", "served_share", "seats", "paid_tokens"):
            a, b = one.metric(name, "closed", year), three.metric(name, "closed", year)
            np.testing.assert_allclose(b, a, rtol=1e-5, err_msg=name)  # float32 yearly
        for who in ("openai", "deepseek", "qwen"):
            a = one.metric("revenue_year", who, year).item()
            assert three.metric("revenue_year", who, year).item() == pytest.approx(3 * a, rel=1e-5)
            assert three.metric("paid_share", who, year).item() == pytest.approx(
                one.metric("paid_share", who, year).item(), rel=1e-5
            )
    assert three.metric("fisher_index", "all").item() == pytest.approx(
        one.metric("fisher_index", "all").item(), rel=1e-9
    )


def test_extending_the_horizon_changes_nothing_before_the_old_end():
    # Nothing in the model looks ahead: the years both runs share are the same, bit for bit.
    base = simlab.load_scenario("baseline-2025")
    doc = copy.deepcopy(dict(base.document))
    doc["end"] = "2037-11"
    short, long = simulate(base), simulate(Scenario.from_dict(doc))
    years = [y for y in short.metrics.year.values if y < 2035]
    for name in ("share", "paid_share", "price", "quality", "revenue_year", "seats"):
        np.testing.assert_array_equal(
            short.metrics[name].sel(year=years).values,
            long.metrics[name].sel(year=years).values,
            err_msg=name,
        )
