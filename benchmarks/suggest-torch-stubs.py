"""CPU-only torch for the suggest-speed benchmark's venv, from the PyPI wheel, with no CUDA packages.

PyPI's Linux x86_64 torch wheel is the CUDA build: its libraries link against the CUDA runtime,
cuBLAS, cuDNN, NCCL, ... which come as nvidia-* packages (about 4 GB). The CPU-only wheels live on
download.pytorch.org, which this machine cannot reach. Installed with --no-deps, `import torch`
fails for want of those libraries. This script writes a stub for each one into
`<venv>/cuda-stubs/`: a shared library with the same soname that defines every symbol torch needs
from it as a function returning 100 (cudaErrorNoDevice), with the symbol versions torch asks for.
With LD_LIBRARY_PATH pointing there, torch loads, `torch.cuda.is_available()` is False, and all
work runs on torch's ordinary CPU kernels (the same code as in the CPU wheel); no CUDA code runs.

Usage: python benchmarks/suggest-torch-stubs.py VENV    (needs gcc and nm; then verify with
       LD_LIBRARY_PATH=VENV/cuda-stubs VENV/bin/python -c 'import torch')
"""
import os
import re
import subprocess
import sys


def run(args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def main():
    venv = sys.argv[1]
    site = run([os.path.join(venv, "bin", "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    lib = os.path.join(site.strip(), "torch", "lib")
    libraries = [os.path.join(lib, f) for f in os.listdir(lib) if ".so" in f]
    libraries += [os.path.join(lib, "..", f) for f in os.listdir(os.path.join(lib, "..")) if f.endswith(".so")]
    # Missing sonames, as the dynamic loader sees them.
    missing = set()
    for path in libraries:
        for line in subprocess.run(["ldd", path], capture_output=True, text=True).stdout.splitlines():
            if "not found" in line:
                missing.add(line.split()[0])
    if not missing:
        print("torch loads without stubs")
        return
    defined = set()
    undefined = set()
    for path in libraries:
        for line in run(["nm", "-D", "--defined-only", path]).splitlines():
            defined.add(line.split()[-1].split("@")[0])
        for line in run(["nm", "-D", "--undefined-only", path]).splitlines():
            undefined.add(line.split()[-1])
    # Versioned references name their library (version node = soname, or NVSHMEM); unversioned ones
    # are resolved by search order, so every stub defines all of them.
    by_version = {}
    unversioned = set()
    for symbol in undefined:
        name, _, version = symbol.partition("@")
        if name in defined:
            continue
        if version:
            by_version.setdefault(version, set()).add(name)
        elif re.match(r"^(cu|nccl|nvrtc|nvshmem|__cuda)", name):
            unversioned.add(name)
    out = os.path.join(venv, "cuda-stubs")
    os.makedirs(out, exist_ok=True)
    for soname in sorted(missing):
        versions = {v: names for v, names in by_version.items() if v == soname or (v == "NVSHMEM" and "nvshmem" in soname)}
        names = set(unversioned).union(*versions.values()) if versions else set(unversioned)
        source = os.path.join(out, soname + ".c")
        with open(source, "w") as c:
            for name in sorted(names):
                c.write(f"int {name}(void) {{ return 100; }}\n")
        args = ["gcc", "-shared", "-fPIC", "-o", os.path.join(out, soname), f"-Wl,-soname,{soname}", source]
        if versions:
            script = os.path.join(out, soname + ".map")
            with open(script, "w") as m:
                for version, vnames in versions.items():
                    m.write(f"{version} {{ global: {'; '.join(sorted(vnames))}; }};\n")
            args.append(f"-Wl,--version-script={script}")
        subprocess.run(args, check=True)
    print(f"{len(missing)} stubs in {out}: {' '.join(sorted(missing))}")


if __name__ == "__main__":
    main()
