"""osokit benchmarks (`make bench`): figures measured side by side in one run, printed as ratios.

Machines are shared and noisy, so every comparison runs its contenders in interleaved rounds on
the same input and reports the median; nothing here asserts a timing.
"""
