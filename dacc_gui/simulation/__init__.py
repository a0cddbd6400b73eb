"""Simulated usage: the event generator, its profiles, population demos and their report."""
