"""Validate a JSON document against a JSON schema (the official ModelPack
config schema, for one). Usage: validate_json.py <schema> <document>"""
import json
import sys

import jsonschema

with open(sys.argv[1]) as f:
    schema = json.load(f)
with open(sys.argv[2]) as f:
    doc = json.load(f)
jsonschema.validate(doc, schema)
print("valid")
