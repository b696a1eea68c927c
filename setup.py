"""The part of umlpy's packaging pyproject.toml cannot say: the cffi helper.

setuptools reads this file during the PEP 517 build; ``cffi_modules`` runs
umlpy/_build_helper.py, which compiles csrc/*.c into ``umlpy._helper``.
Everything else (metadata, dependencies, the ``umlpy`` command) is in
pyproject.toml.
"""
from setuptools import setup

setup(cffi_modules=["umlpy/_build_helper.py:ffibuilder"])
