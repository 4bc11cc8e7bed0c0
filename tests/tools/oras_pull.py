"""Pull an artifact with ORAS (oras-py), an OCI client independent of ours.

Usage: oras_pull.py <registry/repo:tag> <outdir>
Prints a JSON object: file name (as ORAS named it, from the layer titles)
-> sha256 of its bytes, or, for a layer ORAS unpacked into a directory,
{"dir": [the files in it, sorted]}.
"""
import hashlib
import json
import os
import sys

import oras.client

target, outdir = sys.argv[1], sys.argv[2]
client = oras.client.OrasClient(hostname=target.split("/")[0], insecure=True)
paths = client.pull(target=target, outdir=outdir)
out = {}
for p in paths:
    name = os.path.relpath(p, outdir)
    if os.path.isdir(p):
        files = [os.path.relpath(os.path.join(d, f), p) for d, _, fs in os.walk(p) for f in fs]
        out[name] = {"dir": sorted(files)}
        continue
    with open(p, "rb") as f:
        out[name] = "sha256:" + hashlib.sha256(f.read()).hexdigest()
print(json.dumps(out, sort_keys=True))
