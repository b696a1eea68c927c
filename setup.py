"""Packaging for umlpy: the cffi helper in csrc/ is compiled at install."""
from setuptools import find_packages, setup

setup(
    name="umlpy",
    version="0.1.0",
    description="A Linux-on-Linux syscall-translation sandbox in Python (ptrace + seccomp)",
    packages=find_packages(include=["umlpy", "umlpy.*"]),
    python_requires=">=3.10",
    setup_requires=["cffi>=1.15"],
    cffi_modules=["umlpy/_build_helper.py:ffibuilder"],
    install_requires=["cffi>=1.15", "pyelftools>=0.29", "python-ptrace>=0.9.8", "psutil>=5.9"],
    extras_require={"test": ["pytest>=7", "pexpect>=4.8"]},
    entry_points={"console_scripts": ["umlpy=umlpy.cli:main"],
                  "pytest11": ["umlpy = umlpy.pytest_plugin"]},
)
