#!/usr/bin/python3
"""pip_install.py CLIENT_DIR: installs the Python client the documented way (a venv with Debian's
site packages, `pip install --no-build-isolation --no-index`), then imports it from the venv and
checks that it is the installed copy, with its type marker. Nothing is fetched. It installs from a
copy: setuptools builds in the source folder (build/, *.egg-info), which must stay clean."""
import os
import shutil
import subprocess
import sys
import tempfile

client = sys.argv[1]
with tempfile.TemporaryDirectory(prefix="sithsd-pip-") as tmp:
    source = shutil.copytree(client, os.path.join(tmp, "source"),
                             ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = os.path.join(tmp, "venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
    pip = subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--no-build-isolation",
                          "--no-index", "--no-cache-dir", source],
                         capture_output=True, text=True, env=dict(os.environ, PIP_NO_INPUT="1"))
    if pip.returncode != 0:
        sys.exit(f"pip install failed:\n{pip.stdout}\n{pip.stderr}")
    check = subprocess.run(
        [os.path.join(venv, "bin", "python"), "-c",
         "import os, sithsd; print(sithsd.__file__); "
         "print(os.path.exists(os.path.join(os.path.dirname(sithsd.__file__), 'py.typed')))"],
        capture_output=True, text=True, cwd=tmp, check=True)
    where, typed = check.stdout.split()
    if not where.startswith(venv) or typed != "True":
        sys.exit(f"the venv imports {where} (typed: {typed}), not its installed copy")
print(f"pip installed the client into a venv without the network: {where}")
