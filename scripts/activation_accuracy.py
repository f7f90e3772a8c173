"""Errors of the activation kernels against mpmath, in ulp of the true value (the table in
the docs of `caputo::activation`).

Usage:
    cargo test -p caputo --test activations -- --ignored --nocapture writes_values
    python3 scripts/activation_accuracy.py PATH_PRINTED_ABOVE

Needs mpmath. Reads lines `name x32 f32(x32) x64 f64(x64)` and prints, per activation, the
largest error in ulp (the spacing of floats at the true value; subnormal spacing below the
smallest normal) and where it occurs.
"""
import sys

import mpmath as mp

mp.mp.dps = 60


def exact(name, x):
    x = mp.mpf(x)
    if name == "tanh":
        return mp.tanh(x)
    if name == "sigmoid":
        return 1 / (1 + mp.exp(-x))
    if name == "softplus":
        return mp.log1p(mp.exp(x)) if x < 30 else x + mp.log1p(mp.exp(-x))
    if name == "gelu":
        return x * mp.ncdf(x)
    if name == "silu":
        return x / (1 + mp.exp(-x))
    raise ValueError(name)


def ulps(value, true, bits, emin):
    if true == 0:
        return 0.0 if value == 0 else float("inf")
    e = max(int(mp.floor(mp.log(abs(true), 2))), emin)
    return float(abs(mp.mpf(value) - true) / mp.mpf(2) ** (e - bits + 1))


def main(path):
    worst = {}
    for line in open(path):
        name, x32, y32, x64, y64 = line.split()
        w = worst.setdefault(name, [0.0, 0.0, 0.0, 0.0])
        u32 = ulps(float(y32), exact(name, float(x32)), 24, -126)
        u64 = ulps(float(y64), exact(name, float(x64)), 53, -1022)
        if u32 > w[0]:
            w[0], w[1] = u32, float(x32)
        if u64 > w[2]:
            w[2], w[3] = u64, float(x64)
    print("activation   f32 max ulp (at x)      f64 max ulp (at x)")
    for name, (u32, a32, u64, a64) in worst.items():
        print(f"{name:<10} {u32:6.2f} ({a32:>9.4g})   {u64:6.2f} ({a64:>9.4g})")


if __name__ == "__main__":
    main(sys.argv[1])
