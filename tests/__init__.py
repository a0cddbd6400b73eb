"""Test suite of DACC Inspector (a package so ``python -m tests.fake_cozy`` runs)."""
