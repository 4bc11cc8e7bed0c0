"""Push the entry of an OCI layout tagged <tag> to a registry over the
distribution API, with everything it reaches (an index's members, each
manifest's config and layers, and every manifest whose `subject` is one of
those, as referrers), byte for byte: blobs first, then manifests children
first, each under its digest, the tagged one under <tag> too. The registry
checks every reference as it takes a manifest. Then reads each manifest
back by digest and requires the same bytes. Prints the tagged digest.

Used where skopeo 1.9 (Debian 12) cannot judge: it rewrites an image index
that carries `artifactType` (its image-spec predates the field), so it
cannot copy one with --preserve-digests.

Usage: push_layout.py <layout dir> <tag> <registry host:port>/<repository>"""
import hashlib
import json
import os
import sys
import urllib.request

layout, tag, target = sys.argv[1:4]
host, repo = target.split("/", 1)
base = f"http://{host}/v2/{repo}"
INDEXES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}


def blob(digest):
    algo, hexpart = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", algo, hexpart), "rb") as f:
        data = f.read()
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        sys.exit(f"{digest}: the layout's blob does not match its digest")
    return data


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {url}: {e.code} {e.read().decode(errors='replace')}")


def push_blob(digest):
    status, _, _ = request_ok_or_404("HEAD", f"{base}/blobs/{digest}")
    if status == 200:
        return
    _, headers, _ = request("POST", f"{base}/blobs/uploads/")
    location = headers["Location"]
    if location.startswith("/"):
        location = f"http://{host}{location}"
    sep = "&" if "?" in location else "?"
    request("PUT", f"{location}{sep}digest={digest}", blob(digest),
            {"Content-Type": "application/octet-stream"})


def request_ok_or_404(method, url):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), b""
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return 404, {}, b""
        raise


index = json.load(open(os.path.join(layout, "index.json")))
entries = index["manifests"]
tagged = [e for e in entries
          if e.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
if len(tagged) != 1:
    sys.exit(f"{len(tagged)} entries tagged {tag!r}")

pushed = []


def push(desc):
    digest = desc["digest"]
    if digest in pushed:
        return
    data = blob(digest)
    doc = json.loads(data)
    if desc["mediaType"] in INDEXES:
        for child in doc["manifests"]:
            push(child)
    else:
        for d in [doc["config"]] + doc.get("layers", []):
            push_blob(d["digest"])
    request("PUT", f"{base}/manifests/{digest}", data, {"Content-Type": desc["mediaType"]})
    pushed.append(digest)


push(tagged[0])
# Referrers of what was pushed, listed in the layout.
for e in entries:
    data = blob(e["digest"])
    subject = json.loads(data).get("subject", {}).get("digest")
    if subject in pushed:
        push(e)
request("PUT", f"{base}/manifests/{tag}", blob(tagged[0]["digest"]),
        {"Content-Type": tagged[0]["mediaType"]})
accept = ",".join(sorted(INDEXES | {"application/vnd.oci.image.manifest.v1+json"}))
for digest in pushed:
    _, _, back = request("GET", f"{base}/manifests/{digest}", headers={"Accept": accept})
    if back != blob(digest):
        sys.exit(f"{digest}: the registry returned other bytes")
print(tagged[0]["digest"])
