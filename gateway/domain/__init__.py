"""The domain core: claims, debtors, money, the lifecycle, court dunning rules.

Pure Python. Imports nothing from spyne, zeep, sqlalchemy, structlog (an
import-linter contract in setup.cfg enforces it).
"""
