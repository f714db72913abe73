"""Presentation: figures (seaborn), the narrative (findings -> Markdown) and tables.

Never computes statistics: everything shown comes from :mod:`reportlib.analysis`.
"""
