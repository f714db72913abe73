"""Integrations with training libraries (optional extras).

Each submodule needs its library and fails with
:class:`reportlib.errors.DependencyMissingError` when it is missing; importing
this package itself needs nothing beyond reportlib's core dependencies.

- :mod:`reportlib.integrations.transformers`: a Hugging Face ``TrainerCallback``
  that writes predictions in reportlib's run-folder convention and logs
  ``eval_chrf`` (``pip install reportlib[transformers]``).
"""
