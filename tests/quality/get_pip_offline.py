"""Stand-in for the ``get-pip.py`` that ansible-test downloads to put pip into its sanity virtualenvs.

ansible-test fetches that script from ci-files.testing.ansible.com, which this machine cannot reach; it runs
a cached copy instead when there is one (``~/.ansible/test/cache/get_pip_<version>.py``), and
``tests/quality/collection.py`` puts this file there. It installs the pip wheel bundled with the interpreter
(``ensurepip``: no download), then tries the pip version asked for; the bundled pip does the job if that fails.
The sanity tests' own requirements then come from the package index like any other pip install.
"""

import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
wanted = [arg for arg in sys.argv[1:] if not arg.startswith("--no-")]  # --no-setuptools/--no-wheel: get-pip's own
subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", *wanted])
