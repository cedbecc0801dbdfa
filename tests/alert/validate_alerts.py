#!/usr/bin/python3
"""Validates alert records (JSON Lines) against docs/alert.schema.json.

Usage: validate_alerts.py [--expect-invalid] SCHEMA [FILE|-]

Every line must be a UTF-8 JSON object that satisfies the schema and the constraints JSON Schema
cannot express:
  - keys appear in the order of RULES-SPEC section 5;
  - no duplicate keys, no NaN/Infinity;
  - alert_id is the first 16 hex digits of SHA-256(rule_id + "\\n" + article.id);
  - every match has start <= end and its text is exactly end - start bytes long.
Exits 0 when there is at least one line and every line is valid; 1 otherwise (also on zero
lines); 2 on usage errors. Errors are printed as FILE:LINE: where: message.

With --expect-invalid the meaning flips: every line must be rejected (used to prove that the
checks catch what they claim to); the exit status is 0 only if all lines are invalid.

Needs the jsonschema module (Debian: python3-jsonschema); run it with /usr/bin/python3.
"""

import hashlib
import json
import sys

import jsonschema

KEY_ORDER = {
    "": ["alert_id", "rule_id", "rule_name", "severity", "tags", "mode", "ruleset_version",
         "article", "matches", "snippet", "detected_at", "input"],
    "article": ["id", "url", "title", "source", "lang", "published_at"],
    "match": ["field", "start", "end", "text", "leaf"],
    "input": ["topic", "partition", "offset"],
}


class DuplicateKey(ValueError):
    pass


def _pairs(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKey(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _check_order(obj, expected, where, errors):
    if not isinstance(obj, dict):
        return
    present = [k for k in obj if k in expected]
    wanted = [k for k in expected if k in obj]
    if present != wanted:
        errors.append(f"{where or '/'}: keys out of order: {list(obj)}")


def semantic_errors(record):
    """Constraints the schema cannot express. Assumes the record passed the schema."""
    errors = []
    _check_order(record, KEY_ORDER[""], "", errors)
    _check_order(record.get("article"), KEY_ORDER["article"], "/article", errors)
    _check_order(record.get("input"), KEY_ORDER["input"], "/input", errors)
    for i, match in enumerate(record.get("matches", [])):
        where = f"/matches/{i}"
        _check_order(match, KEY_ORDER["match"], where, errors)
        start, end, text = match["start"], match["end"], match["text"]
        if start > end:
            errors.append(f"{where}: start {start} > end {end}")
        elif len(text.encode("utf-8")) != end - start:
            errors.append(f"{where}: text is {len(text.encode('utf-8'))} bytes, "
                          f"span [{start}, {end}) is {end - start}")
    digest = hashlib.sha256(
        (record["rule_id"] + "\n" + record["article"]["id"]).encode("utf-8")).hexdigest()
    if record["alert_id"] != digest[:16]:
        errors.append(f"/alert_id: {record['alert_id']} is not sha256(rule_id + \"\\n\" + "
                      f"article.id)[:16] = {digest[:16]}")
    return errors


def line_errors(validator, raw):
    """All problems of one line, as 'where: message' strings."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return [f"/: not UTF-8: {e}"]
    if text.endswith("\r"):
        return ["/: line ends with CR"]
    try:
        record = json.loads(text, object_pairs_hook=_pairs, parse_constant=_reject_constant)
    except (ValueError, DuplicateKey) as e:
        return [f"/: not JSON: {e}"]
    errors = []
    for error in sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path)):
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
        errors.append(f"{where}: {message}")
    if not errors:
        errors.extend(semantic_errors(record))
    return errors


def main(argv):
    args = argv[1:]
    expect_invalid = False
    if args and args[0] == "--expect-invalid":
        expect_invalid = True
        args = args[1:]
    if not 1 <= len(args) <= 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    schema_path = args[0]
    source = args[1] if len(args) == 2 else "-"
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.Draft202012Validator
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=jsonschema.FormatChecker())

    if source == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        with open(source, "rb") as f:
            data = f.read()
        name = source
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line

    failed = 0
    for number, raw in enumerate(lines, start=1):
        errors = line_errors(validator, raw) if raw else ["/: empty line"]
        if expect_invalid:
            if not errors:
                failed += 1
                print(f"{name}:{number}: accepted, but expected to be invalid", file=sys.stderr)
            continue
        if errors:
            failed += 1
            for e in errors:
                print(f"{name}:{number}: {e}", file=sys.stderr)

    if not lines:
        print(f"{name}: no alert records", file=sys.stderr)
        return 1
    verdict = "rejected as expected" if expect_invalid else "valid"
    print(f"{name}: {len(lines) - failed} of {len(lines)} lines {verdict}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
