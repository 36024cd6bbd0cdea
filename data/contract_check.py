"""A small, independent JSON Schema check for the keywords the shipped contracts use.

The sample-data generators (generate_tickets.py, generate_assets.py) judge every
line they write with it, so that the counts they document are computed apart from
omni_ingest's own validator.  Python 3 standard library only.
"""
import datetime as dt
import re

DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}


def is_date_time(s):
    m = DATE_TIME.match(s)
    if not m:
        return False
    try:
        dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]),
                    min(int(m[6]), 59))     # 60: leap second
    except ValueError:
        return False
    return int(m[6]) <= 60


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def validate(schema, value, path, root=None):
    """Yield (instance path, keyword) for every failure."""
    root = schema if root is None else root
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        yield from validate(target, value, path, root)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            yield path, "type"
            return
    if "const" in schema and value != schema["const"]:
        yield path, "const"
    if "enum" in schema and value not in schema["enum"]:
        yield path, "enum"
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield path, "maxLength"
        if "minLength" in schema and len(value) < schema["minLength"]:
            yield path, "minLength"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield path, "pattern"
        if schema.get("format") == "date-time" and not is_date_time(value):
            yield path, "format"
        if schema.get("format") == "uri" and not URI.match(value):
            yield path, "format"
    if TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            yield path, "minimum"
        if "maximum" in schema and value > schema["maximum"]:
            yield path, "maximum"
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield path, "minItems"
        if "items" in schema:
            for i, item in enumerate(value):
                yield from validate(schema["items"], item, "%s/%d" % (path, i), root)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                yield path, "required"
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                yield from validate(props[key], item, path + "/" + key, root)
            elif schema.get("additionalProperties") is False:
                yield path + "/" + key, "additionalProperties"
