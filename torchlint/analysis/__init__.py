"""Analyses that several rules share, computed on demand from a FileContext and memoised there."""
