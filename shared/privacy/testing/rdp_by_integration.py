#!/usr/bin/env python3
"""RDP of the Poisson-subsampled Gaussian mechanism by numerical integration of the densities.

An implementation independent of shared/privacy/rdp.ts (which sums the binomial expansion): for the
sensitivity-1 Gaussian mu0 = N(0, s^2), mu1 = N(1, s^2) and the mixture mu = (1-q) mu0 + q mu1,
  D_a(mu || mu0) = log( integral of mu0(z) (mu(z)/mu0(z))^a dz ) / (a - 1),
integrated with the trapezoid rule on a fine grid, in logarithms (the integrand overflows a double at
large orders). It also integrates the other direction, D_a(mu0 || mu), which Mironov, Talwar and Zhang
(2019) show is never larger: the accountant counts the larger one. The conversion to (eps, delta) is
Balle et al. 2020, Theorem 21, as conversion.ts uses it.

Reads JSON on stdin: {"orders": [...], "mechanisms": [{"q":..,"sigma":..}], "cases": [{"q","sigma","steps","delta"}]}
Writes JSON: {"rdp": [{"q","sigma","forward":[...],"reverse":[...]}], "epsilons": [{"epsilon","order"}, ...]}
"""
import json
import math
import sys

import numpy as np

POINTS_PER_SIGMA = 200  # grid step sigma/200: the integrand is a smooth bump of width ~sigma


def log_trapezoid(log_values, step):
    """log of the trapezoid integral of exp(log_values) on a uniform grid."""
    weights = np.full(log_values.shape, math.log(step))
    weights[0] -= math.log(2)
    weights[-1] -= math.log(2)
    terms = log_values + weights
    top = terms.max()
    return float(top + math.log(np.exp(terms - top).sum()))


def rdp_orders(q, sigma, orders):
    """D_a(mu || mu0) and D_a(mu0 || mu) per order a, by integration."""
    forward, reverse = [], []
    s2 = sigma * sigma
    for alpha in orders:
        # The forward integrand peaks near 0 and near alpha (where q mu1 dominates): cover both.
        low = -12.0 * sigma - 1.0
        high = float(alpha) + 12.0 * sigma + 1.0
        step = sigma / POINTS_PER_SIGMA
        z = np.arange(low, high + step, step)
        log_mu0 = -z * z / (2 * s2) - math.log(sigma * math.sqrt(2 * math.pi))
        # log(mu/mu0) = log((1-q) + q exp((2z-1)/(2 s^2)))
        log_ratio = np.logaddexp(math.log1p(-q), math.log(q) + (2 * z - 1) / (2 * s2))
        forward.append(log_trapezoid(log_mu0 + alpha * log_ratio, step) / (alpha - 1))
        reverse.append(log_trapezoid(log_mu0 - (alpha - 1) * log_ratio, step) / (alpha - 1))
    return forward, reverse


def epsilon_from_rdp(orders, rdp, delta):
    """Balle et al. 2020: eps = min_a rdp_a + log((a-1)/a) - (log delta + log a)/(a-1)."""
    best = (math.inf, orders[0])
    for alpha, value in zip(orders, rdp):
        eps = value + math.log((alpha - 1) / alpha) - (math.log(delta) + math.log(alpha)) / (alpha - 1)
        eps = max(0.0, eps)
        if eps < best[0]:
            best = (eps, alpha)
    return best


def main():
    request = json.load(sys.stdin)
    orders = request["orders"]
    rdp = {}
    out_rdp = []
    for m in request["mechanisms"]:
        forward, reverse = rdp_orders(m["q"], m["sigma"], orders)
        rdp[(m["q"], m["sigma"])] = forward
        out_rdp.append({"q": m["q"], "sigma": m["sigma"], "forward": forward, "reverse": reverse})
    epsilons = []
    for case in request["cases"]:
        per_step = rdp[(case["q"], case["sigma"])]
        eps, order = epsilon_from_rdp(orders, [case["steps"] * v for v in per_step], case["delta"])
        epsilons.append({"epsilon": eps, "order": order})
    json.dump({"rdp": out_rdp, "epsilons": epsilons}, sys.stdout)


if __name__ == "__main__":
    main()
