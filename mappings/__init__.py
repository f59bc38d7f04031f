"""One mapping per agency: internal claim <-> agency request, agency codes -> lifecycle.

Code tables are data files beside each mapping; the logic is small.
"""
