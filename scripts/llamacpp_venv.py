"""Run a script inside a Python that has llama-cpp-python 0.3.36 (llama.cpp build 0c1e570).

    import llamacpp_venv; llamacpp_venv.ensure("make-llamacpp-refs")

If this interpreter cannot import that llama_cpp (with numpy and jinja2), creates once a venv
at ${SWIFTLET_LLAMA_VENV:-~/.cache/swiftlet/llama-venv}:

    python3 -m venv VENV
    CMAKE_ARGS="-DGGML_NATIVE=ON" VENV/bin/pip install llama-cpp-python==0.3.36 gguf numpy jinja2

(building llama.cpp takes several minutes) and re-executes the calling script with VENV's python.
"""
import os
import subprocess
import sys
from pathlib import Path

LLAMA_CPP_PYTHON_VERSION = "0.3.36"


def _ready():
    try:
        import jinja2  # noqa: F401
        import llama_cpp
        import numpy  # noqa: F401
    except Exception:
        return False
    return getattr(llama_cpp, "__version__", None) == LLAMA_CPP_PYTHON_VERSION


def ensure(name):
    if _ready():
        return
    if os.environ.get("SWIFTLET_LLAMA_REEXEC") == "1":
        sys.exit(f"{name}: the venv python still cannot import llama_cpp {LLAMA_CPP_PYTHON_VERSION}, numpy and jinja2")
    venv = Path(os.environ.get("SWIFTLET_LLAMA_VENV") or Path.home() / ".cache" / "swiftlet" / "llama-venv").expanduser()
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"{name}: creating venv {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import llama_cpp, numpy, jinja2; print(llama_cpp.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != LLAMA_CPP_PYTHON_VERSION:
        print(f"{name}: installing llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION} into {venv} "
              "(builds llama.cpp; takes several minutes)", file=sys.stderr)
        env = dict(os.environ, CMAKE_ARGS="-DGGML_NATIVE=ON")
        subprocess.run([str(python), "-m", "pip", "install", f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}",
                        "gguf", "numpy", "jinja2"], check=True, env=env)
    env = dict(os.environ, SWIFTLET_LLAMA_REEXEC="1")
    script = os.path.abspath(sys.argv[0])
    os.execve(str(python), [str(python), script] + sys.argv[1:], env)
