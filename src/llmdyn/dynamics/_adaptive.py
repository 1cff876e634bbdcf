"""Adaptive policies (phase, bandit, MPC); filled in below."""
