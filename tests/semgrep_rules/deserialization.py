# Test cases for gates/rules/deserialization.yml (semgrep --test format).
import json
import marshal
import pickle
import shelve

import dill
import jsonpickle
import yaml


def load(blob, text, path):
    # ruleid: gates.python.pickle-load
    pickle.loads(blob)
    # ruleid: gates.python.pickle-load
    dill.loads(blob)
    # ok: gates.python.pickle-load
    pickle.dumps(blob)
    # ruleid: gates.python.yaml-unsafe-load
    yaml.load(text)
    # ruleid: gates.python.yaml-unsafe-load
    yaml.load(text, Loader=yaml.Loader)
    # ok: gates.python.yaml-unsafe-load
    yaml.load(text, Loader=yaml.SafeLoader)
    # ok: gates.python.yaml-unsafe-load
    yaml.safe_load(text)
    # ruleid: gates.python.marshal-load
    marshal.loads(blob)
    # ok: gates.python.marshal-load
    marshal.dumps(blob)
    # ruleid: gates.python.shelve-open
    shelve.open(path)
    # ok: gates.python.shelve-open
    open(path)
    # ruleid: gates.python.jsonpickle-decode
    jsonpickle.decode(text)
    # ok: gates.python.jsonpickle-decode
    jsonpickle.encode(text)
    return json.loads(text)
