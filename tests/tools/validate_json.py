"""Validate a JSON document against a JSON schema (the official ModelPack
config schema, for one), Draft 2020-12 with format assertion on: under
2020-12 `format` is only an annotation unless a validator asserts it, and
a `createdAt` of "yesterday" must fail. Usage: validate_json.py <schema>
<document>"""
import json
import sys

from jsonschema import Draft202012Validator

checker = Draft202012Validator.FORMAT_CHECKER
# jsonschema checks date-time only when rfc3339-validator is installed;
# without it every string passes, and this check would prove nothing.
if checker.conforms("yesterday", "date-time"):
    sys.exit("date-time format checking is unavailable: pip install rfc3339-validator")

with open(sys.argv[1]) as f:
    schema = json.load(f)
with open(sys.argv[2]) as f:
    doc = json.load(f)
Draft202012Validator.check_schema(schema)
errors = sorted(Draft202012Validator(schema, format_checker=checker).iter_errors(doc), key=str)
if errors:
    sys.exit("invalid: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors))
print("valid")
